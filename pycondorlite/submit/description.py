"""A parsed submit description: its macros and queue statements, in order.

The Reader (reader.py) walks the file; each queue statement keeps a snapshot
of the macros as they stood when it was read.  jobs() builds the ads of every
statement with jobad.JobAdBuilder; unused() gives condor_submit's "was unused"
warnings.
"""

import os
import platform
import re
import time

from pycondorlite import config
from pycondorlite.submit.jobad import JobAdBuilder
from pycondorlite.submit.values import SubmitError
from pycondorlite.submit.macros import MacroError, MacroSet, expand
from pycondorlite.submit.queue import QueueError, QueueSpec, parse_queue
from pycondorlite.submit.reader import Reader, SubmitSyntaxError

# Commands condor_submit itself reads outside of building the job ad (so they
# are never reported unused), and the names HTCondor's warn_unused suppresses.
USED_ELSEWHERE = {
    "copy_to_spool", "rendezvousdir", "rendezvous_dir", "rendezvousdirectory",
    "rendezvous_directory", "max_materialize", "skip_filechecks", "dag_status", "failed_count",
    "job", "retry", "submitwarnemptymatches", "submitfailemptymatches",
    "submitwarnduplicatematches", "submitfailemptyfields", "submitwarnemptyfields",
}


class QueueBlock:
    """One queue statement with the macros as they stood when it was read."""
    __slots__ = ("macros", "args", "block", "lineno", "source", "_spec")

    def __init__(self, macros, args, block, lineno, source):
        self.macros = macros
        self.args = args
        self.block = block
        self.lineno = lineno
        self.source = source
        self._spec = None


class SubmitDescription:
    """A parsed submit description: macros and its queue statements, in order."""

    def __init__(self, text, source="(stdin)", cwd=None, pre_lines=(), append_lines=(),
                 queue_override=None, submit_file=None):
        self.source = source
        self.cwd = cwd or os.getcwd()
        self.macros = MacroSet(_submit_defaults(submit_file, self.cwd))
        self.blocks = []
        self.warnings = []
        self.append_lines = list(append_lines)
        self.queue_override = queue_override
        self.reader = Reader(self, submit=True, own_version=_own_version())
        for ln in pre_lines:
            self.reader.read_text(ln, source)
        self.reader.read_text(text, source)
        if queue_override is not None:
            if self.blocks:
                raise SubmitSyntaxError("-queue argument conflicts with queue statement in "
                                        "submit file", self.blocks[0].lineno, source, kind="raw")
            for ln in self.append_lines:
                self.reader.read_text(ln, source)
            self.blocks.append(QueueBlock(self._snapshot(), queue_override, None, 0, source))

    # Reader handler interface
    def assign(self, name, value, line):
        self.macros.set(name, value)

    def warning(self, msg):
        self.warnings.append(msg)

    def queue(self, line, source):
        if self.queue_override is not None:
            raise SubmitSyntaxError("-queue argument conflicts with queue statement in "
                                    "submit file", line.lineno, source, kind="raw")
        for ln in self.append_lines:
            self.reader.read_text(ln, source)
        self.append_lines = []
        self.blocks.append(QueueBlock(self._snapshot(), line.value, line.block, line.lineno,
                                      source))

    def _snapshot(self):
        m = MacroSet(self.macros.defaults)
        m.table = {k: list(v) for k, v in self.macros.table.items()}
        return m

    # Queue statements -> specs
    def spec(self, blk):
        """The QueueSpec of a queue statement (computed once: `from cmd |` runs once)."""
        cached = getattr(blk, "_spec", None)
        if cached is not None:
            return cached
        blk._spec = self._spec(blk)
        return blk._spec

    def _spec(self, blk):
        try:
            args = expand(blk.args, blk.macros.lookup)
        except MacroError as e:
            raise SubmitSyntaxError(str(e), blk.lineno, blk.source)
        try:
            return parse_queue(args, blk.block, cwd=self.cwd)
        except QueueError as e:
            raise SubmitSyntaxError(str(e), blk.lineno, blk.source, kind="queue")

    def unused(self):
        """[(name, raw value)] of the assignments nothing used, sorted by name, for
        condor_submit's "was unused by condor_submit. Is it a typo?" warnings."""
        sets = [self.macros] + [b.macros for b in self.blocks]
        out = []
        for key, (name, value, _) in self.macros.table.items():
            # HTCondor never warns about dotted names (MY.x, FACTORY.x, tmp.x).
            if "." in key or key in USED_ELSEWHERE:
                continue
            if any(m.table.get(key, (0, 0, False))[2] for m in sets):
                continue
            out.append((name, value))
        return sorted(out, key=lambda nv: nv[0].lower())

    def jobs(self, cluster_id=1, first_proc=0, owner=None, now=None, probe=False, blocks=None):
        """[(cluster_ad, proc_ads, spec)] for every queue statement (ids continue),
        or for those of `blocks`.

        probe: build only the first proc of each statement (a cheap check)."""
        out = []
        proc = first_proc
        self.build_warnings = []
        self.executables = set()
        for blk in self.blocks if blocks is None else blocks:
            spec = self.spec(blk)
            if probe and not spec.empty_list:
                spec = QueueSpec(1, spec.vars, spec.items[:1] if spec.items is not None else None,
                                 spec.mode)
            if spec.empty_list:
                out.append((None, [], spec))
                continue
            b = JobAdBuilder(blk.macros, cluster_id, cwd=self.cwd, owner=owner, now=now)
            try:
                cad, pads = b.build(spec, proc)
            except SubmitError as e:
                e.lineno = blk.lineno
                raise
            for w in b.warnings:
                if w not in self.build_warnings:
                    self.build_warnings.append(w)
            self.executables |= b.executables
            proc += len(pads)
            out.append((cad, pads, spec))
        return out


def _own_version():
    from pycondorlite.version import CONDOR_VERSION
    nums = [int(x) for x in re.findall(r"\d+", CONDOR_VERSION)[:3]]
    while len(nums) < 3:
        nums.append(0)
    return tuple(nums)


def _submit_defaults(submit_file, cwd):
    """Macros every submit file sees: host facts, submit time and the defaults
    HTCondor's submit table gives (SubmitMacroDefaults)."""
    t = time.localtime()
    d = {
        "arch": config.param("ARCH") or "",
        "opsys": config.param("OPSYS") or "",
        "opsysandver": config.param("OPSYSANDVER") or "",
        "opsysmajorver": config.param("OPSYSMAJORVER") or "",
        "opsysver": config.param("OPSYSVER") or "",
        "islinux": "1" if platform.system() == "Linux" else "0",
        "iswindows": "0",
        "spool": config.param("SPOOL") or "",
        "submit_time": str(int(time.time())),
        "year": "%04d" % t.tm_year, "month": "%02d" % t.tm_mon, "day": "%02d" % t.tm_mday,
        "request_cpus": "$(RequestCPUs)", "request_memory": "$(RequestMemory)",
        "vm_memory": "$(Request_Memory)", "vm_vcpus": "$(Request_CPUs)",
    }
    if submit_file:
        d["submit_file"] = os.path.join(cwd, submit_file) if not os.path.isabs(submit_file) \
            else submit_file
    return d


def check_unique_instance_names(clusters):
    """Refuse a submission giving one Deltacloud instance name to several jobs:
    they would share one cloud instance (and condor_rm of one would reach the
    other's). clusters: [(cluster_ad, proc_ads)]."""
    from pycondorlite.jobad import literal
    seen = {}
    for cluster, procs in clusters:
        for p in procs:
            text = p.get("DeltacloudInstanceName", cluster.get("DeltacloudInstanceName"))
            if text is None:
                continue
            name = literal(text)
            if isinstance(name, str):
                # by its text: a $$(attr) in it is the same for jobs matched alike
                seen[name] = seen.get(name, 0) + 1
    for name, n in seen.items():
        if n > 1:
            raise SubmitError(f'deltacloud_instance_name "{name}" is given to {n} jobs of this '
                              f'submission; an instance name must be unique (put $(Process) '
                              f'in it)')
