"""The schedd daemon: negotiates, runs the gridmanager, sweeps finished jobs.

The spool holds all state, so the daemon can be killed at any moment and
restarted: a match and its $$() expansion are one transaction (negotiator.py),
and the gridmanager writes what it must remember before acting.

One schedd per spool: it holds an exclusive flock on `<spool>/schedd.lock`
for its whole life (the kernel drops it if the process dies, even by
SIGKILL) and writes its pid to `<spool>/schedd.pid`.

The loop sleeps in select() on the spool's nudge socket (the tools send a
datagram after submit/rm/hold/release/advertise: spool.nudge_schedd()) and
wakes on a nudge, on NEGOTIATOR_INTERVAL, or when the gridmanager asked to
be polled again. While a cycle makes matches it negotiates again at once.
SIGTERM or SIGINT (condor_off) stop it cleanly. It logs to $(LOG)/SchedLog
in HTCondor's daemon log style.
"""

import errno
import fcntl
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time

from pycondorlite import userlog
from pycondorlite.config import param, param_bool, param_float
from pycondorlite.spool import Spool, default_spool_dir

LOCK_NAME = "schedd.lock"
PID_NAME = "schedd.pid"
# Cycles in a row while matches are being made, before the gridmanager and
# the sweep get a turn.
MAX_BURST = 20
# A nudge triggers negotiation at most this often (the gridmanager nudges on
# every finished cloud request); "within a second" stays true.
NUDGE_SPACING = 0.25


def spool_dir():
    return os.path.abspath(default_spool_dir())


def log_dir(spool=None):
    d = param("LOG")
    if not d:
        d = os.path.join(spool or spool_dir(), "log")
    return d


class AlreadyRunning(Exception):
    def __init__(self, pid, spool):
        super().__init__(pid, spool)
        self.pid = pid
        self.spool = spool


# ---------------------------------------------------------------- pid + lock

def _lock_path(spool):
    return os.path.join(spool, LOCK_NAME)


def _pid_path(spool):
    return os.path.join(spool, PID_NAME)


def acquire_lock(spool):
    """Hold the spool's schedd lock; returns its fd, or raises AlreadyRunning.
    The pid file is written separately (write_pid), once the daemon is ready."""
    os.makedirs(spool, mode=0o700, exist_ok=True)
    fd = os.open(_lock_path(spool), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise AlreadyRunning(read_pid(spool), spool) from None
        raise
    try:
        os.unlink(_pid_path(spool))     # left by a schedd that was killed
    except OSError:
        pass
    return fd


def write_pid(spool):
    tmp = _pid_path(spool) + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{os.getpid()}\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, _pid_path(spool))


def read_pid(spool):
    try:
        with open(_pid_path(spool)) as f:
            return int(f.read().strip() or 0) or None
    except (OSError, ValueError):
        return None


def running_pid(spool):
    """The pid of the schedd running on this spool, or None."""
    path = _lock_path(spool)
    if not os.path.exists(path):
        return None
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return read_pid(spool) or -1
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def start_background(spool=None, wait=10.0):
    """Start `condor_schedd -f` detached from this process; returns its pid.
    Raises AlreadyRunning when one runs on this spool."""
    spool = spool or spool_dir()
    pid = running_pid(spool)
    if pid:
        raise AlreadyRunning(pid, spool)
    env = dict(os.environ)
    env["_CONDOR_SPOOL"] = spool
    proc = subprocess.Popen([sys.executable, "-m", "pycondorlite.cli.condor_schedd", "-f"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True, env=env,
                            close_fds=True)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pid = running_pid(spool)
            if pid:
                raise AlreadyRunning(pid, spool)
            raise RuntimeError(f"condor_schedd exited with status {proc.returncode}")
        if running_pid(spool) == proc.pid:
            return proc.pid
        time.sleep(0.02)
    return proc.pid


def stop(spool=None, timeout=30.0, sig=signal.SIGTERM):
    """Ask the schedd on this spool to exit; True once it has (False: none ran)."""
    spool = spool or spool_dir()
    pid = running_pid(spool)
    if not pid or pid < 0:
        return False
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running_pid(spool) is None:
            return True
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return True


# ---------------------------------------------------------------- logging

class _CondorFormatter(logging.Formatter):
    """HTCondor's daemon log line: `MM/DD/YY HH:MM:SS message`."""

    def format(self, record):
        stamp = time.strftime("%m/%d/%y %H:%M:%S", time.localtime(record.created))
        return f"{stamp} {record.getMessage()}"


def make_logger(path, also_stderr=False):
    log = logging.getLogger(f"pycondorlite.schedd.{path}")
    log.setLevel(logging.INFO if not _param_debug() else logging.DEBUG)
    log.propagate = False
    for h in list(log.handlers):
        log.removeHandler(h)
        h.close()
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.close(fd)
    h = logging.FileHandler(path)
    h.setFormatter(_CondorFormatter())
    log.addHandler(h)
    if also_stderr:
        e = logging.StreamHandler(sys.stderr)
        e.setFormatter(_CondorFormatter())
        log.addHandler(e)
    return log


def _param_debug():
    v = param("SCHEDD_DEBUG") or ""
    return "D_FULLDEBUG" in v.upper() or "D_ALL" in v.upper()


def _banner(log, spool):
    from pycondorlite.version import version_line, platform_line
    ver, plat = version_line(), platform_line()
    star = "*" * 54
    log.info(star)
    log.info("** condor_schedd (CONDOR_SCHEDD) STARTING UP")
    log.info(f"** {sys.argv[0] if sys.argv and sys.argv[0] else 'condor_schedd'}")
    log.info("** SubsystemInfo: name=SCHEDD type=SCHEDD(5) class=DAEMON(1)")
    log.info("** Configuration: subsystem:SCHEDD local:<NONE> class:DAEMON")
    log.info(f"** {ver}")
    if plat:
        log.info(f"** {plat}")
    log.info(f"** PID = {os.getpid()}")
    log.info(star)
    log.info(f"Using spool {spool}")


# ---------------------------------------------------------------- the daemon

class Schedd:
    def __init__(self, spool=None, log_to_stderr=False, handle_signals=False):
        self.stopping = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        if handle_signals:
            self.install_signals()
        self.spool_path = os.path.abspath(spool or spool_dir())
        self.lock_fd = acquire_lock(self.spool_path)
        self.log = make_logger(os.path.join(log_dir(self.spool_path), "SchedLog"), log_to_stderr)
        _banner(self.log, self.spool_path)
        self.spool = Spool.open(self.spool_path)
        # (imported here: the tools that import this module for running_pid()
        # need neither the negotiator nor the cloud clients)
        from pycondorlite.negotiator import Negotiator
        self.negotiator = Negotiator(self.spool)
        self.listener = self.spool.nudge_listener()
        self.gm = self._start_gridmanager()
        self.interval = max(1.0, param_float("NEGOTIATOR_INTERVAL", 60.0))
        # Only now do tools (condor_master, condor_off) see a running schedd.
        write_pid(self.spool_path)

    def _start_gridmanager(self):
        if not param_bool("SCHEDD_RUN_GRIDMANAGER", True):
            self.log.info("Not running the gridmanager (SCHEDD_RUN_GRIDMANAGER is false)")
            return None
        from pycondorlite.gridmanager import GridManager
        return GridManager(self.spool, self.log)

    # -- signals --------------------------------------------------------
    def install_signals(self):
        signal.set_wakeup_fd(self._wake_w.fileno(), warn_on_full_buffer=False)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            signal.signal(s, self._on_signal)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def _on_signal(self, signum, frame):
        if not self.stopping:
            self.stopping = signum

    # -- work -----------------------------------------------------------
    def negotiate(self):
        """Cycles until one makes no match (bounded). Returns matches made."""
        total = 0
        for _ in range(MAX_BURST):
            if self.stopping:
                break
            res = self.negotiator.negotiate()
            if res.considered:
                self.log.debug(f"Negotiation cycle: {res!r}")
            for cid, pid, name in res.matches:
                self.log.info(f"Matched {cid}.{pid} to {name}")
            for cid, pid, reason in res.held:
                self.log.info(f"Job {cid}.{pid} put on hold: {reason}")
            if res.held:
                self._held_events(res.held)
            total += len(res.matches)
            if not res.matches:
                break
            self.poll_gridmanager()
        return total

    def _held_events(self, held):
        pairs = []
        for cid, pid, reason in held:
            job = self.spool.job(cid, pid)
            if job is not None:
                pairs.append((job, userlog.held(cid, pid, reason, 0, 0)))
        for path, err in userlog.append_for_jobs(pairs):
            self.log.error(f"Failed to write user log {path}: {err}")

    def poll_gridmanager(self):
        if self.gm is None:
            return self.interval
        try:
            wait = self.gm.poll()
        except Exception as e:
            self.log.exception(f"gridmanager poll failed: {e}")
            return 5.0
        try:
            return max(0.0, float(wait))
        except (TypeError, ValueError):
            return self.interval

    def sweep(self):
        """Move removed/completed jobs nobody else will finish into history."""
        managed_by_gm = set(getattr(self.gm, "jobs", {}) or {}) if self.gm else set()
        leaving = []
        for job in self.spool.jobs("job_status IN (3, 4)", order=False):
            if job.id in managed_by_gm:
                continue
            if job.literal("LeaveJobInQueue") is True:
                continue
            managed = job.literal("Managed")
            if managed == "ScheddDone" or (managed != "External" and job.text("GridJobId") is None):
                leaving.append(job.id)
        if leaving:
            n = self.spool.move_to_history(leaving)
            self.log.info(f"Moved {n} finished job(s) to history")

    def step(self):
        """One wake-up's work; returns seconds until the next is due."""
        now = time.monotonic()
        if self._nudged and self._data_version() == self._seen_version:
            # Woken by our own gridmanager's writes (same connection): the
            # queue and the ads have not changed under us.
            self._nudged = False
        if self.gm is not None and self.gm.rematch_pending:
            # A provider refused a job, which is Idle again: match it elsewhere now.
            self.gm.rematch_pending = False
            self._nudged = True
        if now >= self._next_negotiation or (self._nudged and now >= self._next_nudged):
            self._nudged = False
            self._seen_version = self._data_version()
            self.negotiate()
            self._next_nudged = time.monotonic() + NUDGE_SPACING
            self._next_negotiation = time.monotonic() + self.interval
            try:
                self.sweep()
                self.negotiator.collector.purge_expired()
            except Exception as e:
                self.log.exception(f"sweep failed: {e}")
        gm_wait = self.poll_gridmanager()
        now = time.monotonic()
        wait = min(self._next_negotiation - now, gm_wait)
        if self._nudged:
            wait = min(wait, self._next_nudged - now)
        return max(0.0, wait)

    def _data_version(self):
        """Changes whenever another process (a tool) commits to the spool."""
        try:
            return self.spool.conn.execute("PRAGMA data_version").fetchone()[0]
        except Exception:
            return None

    def _drain(self, sock):
        got = False
        while True:
            try:
                if not sock.recv(4096):
                    return got
                got = True
            except (BlockingIOError, InterruptedError):
                return got
            except OSError:
                return got

    def run(self):
        self._next_negotiation = 0.0
        self._next_nudged = 0.0
        self._nudged = False
        self._seen_version = None
        self.log.info(f"condor_schedd ready: NEGOTIATOR_INTERVAL = {self.interval:g}")
        status = 0
        try:
            while not self.stopping:
                try:
                    wait = self.step()
                except Exception as e:   # keep serving; the spool is consistent
                    self.log.exception(f"error in schedd loop: {e}")
                    wait = 1.0
                if self.stopping:
                    break
                try:
                    r, _, _ = select.select([self.listener, self._wake_r], [], [], wait)
                except InterruptedError:
                    r = []
                if self.listener in r and self._drain(self.listener):
                    self._nudged = True
                if self._wake_r in r:
                    self._drain(self._wake_r)
        finally:
            self.shutdown(status)
        return status

    def shutdown(self, status=0):
        if self.stopping:
            self.log.info(f"Got {signal.Signals(self.stopping).name}. Performing graceful shutdown."
                          if isinstance(self.stopping, int) and self.stopping > 0 else
                          "Performing graceful shutdown.")
        if self.gm is not None:
            try:
                self.gm.shutdown()
            except Exception as e:
                self.log.error(f"gridmanager shutdown failed: {e}")
        try:
            self.listener.close()
            os.unlink(self.spool.nudge_path)
        except OSError:
            pass
        try:
            self.spool.close()
        except Exception:
            pass
        try:
            os.unlink(_pid_path(self.spool_path))
        except OSError:
            pass
        self.log.info(f"**** condor_schedd (condor_SCHEDD) pid {os.getpid()} "
                      f"EXITING WITH STATUS {status}")
        for h in list(self.log.handlers):
            h.close()
            self.log.removeHandler(h)
        os.close(self.lock_fd)
