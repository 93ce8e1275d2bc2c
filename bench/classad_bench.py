#!/usr/bin/env python3
"""ClassAd benchmark: pycondorlite.classad against real libclassad (classad2),
in one process, on the same input.

(a) parse 10,000 provider ads in old syntax (like
    examples/provider_combination_1.ad, ~20 attributes with varying values,
    some real Requirements/Rank expressions) from one string with parseAds;
(b) symmetricMatch the job ad condor_submit makes from
    examples/deltacloud_job.sub against each of those ads.

Each run uses freshly generated ad text: a different seed, and every line
that is unique to an ad (its Name, keys, credentials) names the run too, so
no run meets a line a previous run has read. The libraries take turns within
a run; the best of --runs runs (9 by default: this 2-core machine's timings
vary by +-20 % from run to run) is reported, and for parsing also the first
(cold) run, since a library may keep caches from run to run.
classad2 runs with htcondor2 imported -- the command-line tools' old
semantics, the ones pycondorlite uses for matchmaking (--strict: without it).
Targets from the issue: matching >= 5x classad2's throughput, parsing >= 1x.

usage: python bench/classad_bench.py [--ads N] [--runs R] [--strict]
"""

import argparse
import os
import random
import statistics
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
os.environ.setdefault("CONDOR_CONFIG", "/dev/null")

# The job ad condor_submit (htcondor 24.12.24, Submit.jobs()) builds from
# examples/deltacloud_job.sub, with the Deltacloud attributes the submit file
# sets (their $$() still unexpanded, as they are before matching).
JOB_AD = r'''In = "/dev/null"
Cmd = "/home/user/job_name"
Err = "/dev/null"
Iwd = "/home/user"
Out = "/dev/null"
Rank = 0.0
Owner = "user"
QDate = 1795460999
MyType = "Job"
ProcId = 0
JobPrio = 0
KillSig = "SIGTERM"
MaxHosts = 1
MinHosts = 1
NumCkpts = 0
Arguments = ""
ClusterId = 1
DiskUsage = 0
ImageSize = 0
JobStatus = 1
ExitStatus = 0
TargetType = "Machine"
TransferIn = false
Environment = ""
JobUniverse = 9
NumRestarts = 0
TransferErr = false
TransferOut = false
CurrentHosts = 0
ExitBySignal = false
GridResource = "deltacloud $$(provider_url)"
NumJobStarts = 0
RemoteSysCpu = 0.0
Requirements = (hardwareprofile == "large" && image == "fedora13")
CommittedTime = 0
RemoteUserCpu = 0.0
ExecutableSize = 0
NumSystemHolds = 0
JobNotification = 0
JobSubmitMethod = 2
LeaveJobInQueue = false
TotalSuspensions = 0
CommittedSlotTime = 0
NumJobCompletions = 0
CumulativeSlotTime = 0
LastSuspensionTime = 0
RemoteWallClockTime = 0.0
ShouldTransferFiles = "IF_NEEDED"
TransferInputSizeMB = 0
EnteredCurrentStatus = 1795460999
WhenToTransferOutput = "ON_EXIT"
CumulativeRemoteSysCpu = 0.0
CommittedSuspensionTime = 0
CumulativeRemoteUserCpu = 0.0
CumulativeSuspensionTime = 0
DeltacloudUsername = "$$(username)"
DeltacloudPassword = "$$(password)"
DeltacloudImageId = "$$(image_key)"
DeltacloudHardwareProfile = "$$(hardwareprofile_key)"
DeltacloudKeyname = "$$(keypair)"
'''


def provider_ads(n, seed):
    """n old-syntax provider ads separated by blank lines."""
    rnd = random.Random(seed)
    out = []
    for k in range(n):
        hw = rnd.choice(["small", "large", "large", "xlarge"])
        img = rnd.choice(["fedora13", "fedora13", "fedora14", "rhel6"])
        req = rnd.choice([
            "true",
            "TARGET.JobUniverse == 9",
            "(TARGET.ImageSize =?= undefined || TARGET.ImageSize < %d) && MY.Memory >= 512"
            % rnd.randint(1, 10 ** 6),
            'stringListMember(image, "fedora13,fedora14,rhel6") && TARGET.JobPrio >= %d'
            % rnd.randint(-1, 0),
        ])
        out.append(
            'Name="provider_combination_%d_%d"\n'
            'MyType="Machine"\n'
            "Requirements=%s\n"
            "# Stuff needed to match:\n"
            'hardwareprofile="%s"\n'
            'image="%s"\n'
            'realm="%d"\n'
            "Memory=%d\n"
            "Rank=%s\n"
            "# Backend info to complete this job:\n"
            'image_key="ami-%08x"\n'
            'hardwareprofile_key="m1.%s"\n'
            'realm_key="us-east-1%s"\n'
            'provider_url="http://localhost:%d/api"\n'
            'username="user%d_%d"\n'
            'password="secret_%08x"\n'
            'cloud_account_id="%d"\n'
            'keypair="mykeypair"\n'
            "Price=%.3f\n"
            % (seed, k, req, hw, img, rnd.randint(1, 4), rnd.choice([512, 1024, 2048, 7680]),
               rnd.choice(["0", "Memory / 1024", "TARGET.JobPrio * 2.5 + Price"]),
               rnd.getrandbits(32), hw, rnd.choice("abcd"), rnd.randint(3000, 3010), seed, k,
               rnd.getrandbits(32), rnd.randint(1, 9), rnd.random() * 2))
    return "\n".join(out)


def timed(fn, *args):
    t = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t, result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ads", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--strict", action="store_true",
                    help="classad2 without htcondor2 (strict semantics) and ours strict")
    args = ap.parse_args(argv)

    if args.strict:
        os.environ["_CONDOR_STRICT_CLASSAD_EVALUATION"] = "true"
    else:
        os.environ.pop("_CONDOR_STRICT_CLASSAD_EVALUATION", None)
    import classad2
    if not args.strict:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import htcondor2  # noqa: F401  (classad2 switches to the tools' old semantics)
    else:
        # classad2_impl imports htcondor2 the first time it hands a ClassAd to
        # Python, which would switch this process to old semantics; a
        # stand-in holding what it looks up keeps it strict.
        import types
        stand_in = types.ModuleType("htcondor2")
        stand_in.classad = classad2
        sys.modules["htcondor2"] = stand_in
    import pycondorlite.classad as ours
    from pycondorlite.classad.semantics import old_semantics

    texts = [provider_ads(args.ads, seed) for seed in range(args.runs)]
    libs = [("classad2", classad2), ("pycondorlite", ours)]
    print("classad2 mode: %s" % ("strict (htcondor2 not imported)" if args.strict
                                 else "old/tools (htcondor2 imported)"))
    print("pycondorlite mode: %s" % ("old/tools" if old_semantics() else "strict"))
    print("input: %d provider ads, %d KiB of old-syntax text; best of %d runs"
          % (args.ads, len(texts[0]) // 1024, args.runs))

    # The two libraries take turns within each run, so a change in the
    # machine's load hits both alike; each run parses fresh text.
    parse_t = {name: [] for name, _ in libs}
    match_t = {name: [] for name, _ in libs}
    matched = {}
    for text in texts:
        for name, lib in libs:
            seconds, ads = timed(lambda: list(lib.parseAds(text, lib.ParserType.Old)))
            if len(ads) != args.ads:
                raise SystemExit("%s parsed %d ads, not %d" % (name, len(ads), args.ads))
            parse_t[name].append(seconds)
            job = lib.parseOne(JOB_AD, lib.ParserType.Old)
            seconds, matched[name] = timed(lambda: sum(1 for ad in ads if job.symmetricMatch(ad)))
            match_t[name].append(seconds)
    figures = {}
    for name, _ in libs:
        p, m = min(parse_t[name]), min(match_t[name])
        figures[name] = (p, m, matched[name])
        print("%-12s parse %6.3f s (%7.0f ads/s; first run %.3f s)   "
              "symmetricMatch %6.3f s (%7.0f matches/s, %d matched)"
              % (name, p, args.ads / p, parse_t[name][0], m, args.ads / m, matched[name]))

    (cp, cm, cn), (op, om, on) = figures["classad2"], figures["pycondorlite"]
    if cn != on:
        print("WARNING: the two libraries matched a different number of ads (%d vs %d)" % (cn, on))
    print("ratio (pycondorlite throughput / classad2): parse %.2fx (target >= 1x), "
          "match %.2fx (target >= 5x)" % (cp / op, cm / om))
    # the same from each run's pair of timings (the two ran seconds apart), a
    # figure less at the mercy of the machine's speed drifting between runs
    per_run = sorted(c / o for c, o in zip(parse_t["classad2"], parse_t["pycondorlite"]))
    per_run_m = sorted(c / o for c, o in zip(match_t["classad2"], match_t["pycondorlite"]))
    print("median of the per-run ratios: parse %.2fx (runs %.2f-%.2f), match %.2fx"
          % (statistics.median(per_run), per_run[0], per_run[-1], statistics.median(per_run_m)))


if __name__ == "__main__":
    main()
