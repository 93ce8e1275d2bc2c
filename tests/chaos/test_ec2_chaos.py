"""The crash loop and cloud faults for ec2 jobs, counted from the EC2 API's own
instance list (the embedded EC2), not from anything pycondorlite says.

An ordinary EC2 submit file with $$() values, matched to a provider ad of the
embedded EC2, in several clusters; the schedd SIGKILLed at random moments;
condor_rm of half the jobs, the instances of the rest stopped by the
provider (the job completes). With faults: the fault proxy fails 30 % of the
requests (500s, throttling, connections dropped before and after the request
was carried out) and the cloud is unreachable for a while (condor_rm happens
meanwhile). At the end: every job in the queue or history once, each with
exactly one instance, every instance terminated, and no job held.
"""

import pytest

from pycondorlite.ec2.embedded import EmbeddedEC2
from pycondorlite.ec2.faultproxy import FaultProxy
from pycondorlite.gridmanager.ec2 import TOKEN_TAG

AMI = "ami-ac3fc9c5"


def provider_ad(url, ak, sk):
    """Key files named relative to the job's directory: condor_submit makes
    them absolute from Iwd before $$() is filled in, as HTCondor's does."""
    return f'''Name="ec2_provider_1"
MyType="Machine"
Requirements=true
WantAdRevaluate=True
hardwareprofile="large"
image="fedora13"
ec2_url="{url}"
image_key="{AMI}"
hardwareprofile_key="m1.large"
access_key_file="{ak.name}"
secret_key_file="{sk.name}"
keypair="mykeypair"
'''


def submit_text(n, log):
    return ("universe = grid\n"
            "executable = ec2_chaos\n"
            'requirements = hardwareprofile == "large" && image == "fedora13"\n'
            "grid_resource = ec2 $$(ec2_url)\n"
            "ec2_access_key_id = $$(access_key_file)\n"
            "ec2_secret_access_key = $$(secret_key_file)\n"
            "ec2_ami_id = $$(image_key)\n"
            "ec2_instance_type = $$(hardwareprofile_key)\n"
            "ec2_keypair = $$(keypair)\n"
            f"log = {log}\n"
            f"queue {n}\n")


def _job_of(inst, spool_id):
    """(cluster, proc) from our token tag, or None for an instance not ours."""
    token = inst["tags"].get(TOKEN_TAG) or ""
    parts = token.split("-")
    if len(parts) != 5 or parts[0] != "pcl" or parts[1] != spool_id:
        return None
    return int(parts[2]), int(parts[3])


def ec2_life(C, h, tmp, rng, n, kills, figures, proxy, ec2, outage=0.0, spacing=None):
    ak, sk = tmp / "access_key", tmp / "secret_key"
    ak.write_text(ec2.credentials.access_key_id + "\n")
    sk.write_text(ec2.credentials.secret_key + "\n")
    ad = tmp / "providers.ad"
    ad.write_text(provider_ad(proxy.url("us-east-1"), ak, sk))
    h.tool("condor_advertise", "UPDATE_STARTD_AD", ad)
    with h.spool() as sp:
        spool_id = sp.spool_id
    h.start_schedd()
    killer = C.Killer(h, rng, kills, spacing=spacing or C.size((0.6, 2.0), (1.0, 4.0)))
    killer.start()
    log = tmp / "jobs.log"
    submitted, problems = [], []
    clusters = C.size(3, 8)
    per = [n // clusters + (1 if i < n % clusters else 0) for i in range(clusters)]
    timeout = C.size(180, 900)
    try:
        for i, k in enumerate(per):
            sub = tmp / f"ec2_{i}.sub"
            sub.write_text(submit_text(k, log))
            out = h.tool("condor_submit", sub).stdout
            cid = int(out.rsplit("cluster", 1)[1].strip().rstrip("."))
            submitted += [(cid, p) for p in range(k)]
        h.wait(lambda sp: sp.count_by_status() == {2: n}, timeout, f"all {n} Running",
               keep_alive=True)
        order = list(submitted)
        rng.shuffle(order)
        removed = sorted(order[: n // 2])
        completed = sorted(order[n // 2:])
        if outage:
            proxy.outage(outage, mode=rng.choice(("503", "refuse")))
        for i in range(0, len(removed), 50):
            h.tool("condor_rm", *[f"{c}.{p}" for c, p in removed[i:i + 50]])
        with h.spool() as sp:
            ids = {key: sp.job(*key).literal("EC2InstanceName") for key in completed}
        for key in completed:           # the job's work is done: it shuts itself down
            ec2.set_instance_state("us-east-1", ids[key], "stopped")
        h.wait(lambda sp: sp.count_by_status() == {}, timeout + outage, "queue empty",
               keep_alive=True)
        killer.finish(timeout=C.size(60, 300))
        h.wait(lambda sp: all(i["state"] == "terminated" for i in ec2.instances()),
               60, "every instance terminated")
    finally:
        killer.stop_evt.set()
        killer.join(timeout=60)
    h.stop_schedd()

    q, hist_status, lost, twice, found = C.job_invariants(h, submitted)
    problems += found
    per_job, strangers = {}, []
    for inst in ec2.instances():
        job = _job_of(inst, spool_id)
        if job is None:
            strangers.append(inst["id"])
        else:
            per_job.setdefault(job, []).append(inst)
    duplicates = {j: [i["id"] for i in insts] for j, insts in per_job.items() if len(insts) > 1}
    leaks = [i["id"] for insts in per_job.values() for i in insts if i["state"] != "terminated"]
    never = sorted(set(submitted) - set(per_job))
    wrong_end = sorted(j for j in removed if hist_status.get(j) != 3) + \
        sorted(j for j in completed if hist_status.get(j) != 4)
    held = sorted({k for c, k in C.log_events(log) if c == "012"})
    if duplicates:
        problems.append(f"jobs with two instances: {dict(list(duplicates.items())[:10])}")
    if leaks:
        problems.append(f"instances not terminated: {leaks[:10]}")
    if never:
        problems.append(f"jobs that never had an instance: {never[:10]}")
    if strangers:
        problems.append(f"instances of nobody: {strangers[:10]}")
    if wrong_end:
        problems.append(f"jobs that ended in the wrong state: {wrong_end[:10]}")
    if held:
        problems.append(f"jobs held although every fault was transient: {held[:10]}")
    if h.kills < kills:
        problems.append(f"only {h.kills} kills (wanted {kills})")
    figures.update({"jobs": n, "instances_created": sum(len(v) for v in per_job.values()),
                    "duplicates": sum(len(v) - 1 for v in duplicates.values()),
                    "leaks": len(leaks), "lost_jobs": len(lost), "in_two_places": len(twice),
                    "kills_survived": h.kills, "schedd_starts": h.schedd_starts,
                    "requests": sum(proxy.counts().values()),
                    "injected_faults": sum(proxy.injected().values()),
                    "outage_seconds": outage})
    return problems


@pytest.fixture
def cloud():
    with EmbeddedEC2(regions=("us-east-1",), auth=True) as ec2:
        ec2.seed_image("us-east-1", AMI, name="fedora13")
        ec2.seed_key_pair("us-east-1", "mykeypair")
        with FaultProxy(ec2.port, seed=3) as proxy:
            yield ec2, proxy


def test_ec2_crash_loop(harness, tmp_path, figures, chaos, cloud):
    C = chaos
    ec2, proxy = cloud
    rng = C.rng_for("ec2_crash_loop")
    problems = ec2_life(C, harness, tmp_path, rng, C.size(30, 200), C.size(5, 20), figures,
                        proxy, ec2)
    C.fail_or_xfail(problems)
    if C.LONG:
        assert figures["kills_survived"] >= 20


def test_ec2_cloud_faults(harness, tmp_path, figures, chaos, cloud):
    C = chaos
    ec2, proxy = cloud
    rng = C.rng_for("ec2_cloud_faults")
    proxy.set_latency(0.02)
    # 30 % of requests fail, one way or another.
    for kind, p in (("http_500", 0.12), ("throttle", 0.08), ("unavailable", 0.05),
                    ("drop_before", 0.04), ("drop_after", 0.04)):
        proxy.add_fault(kind, probability=p)
    problems = ec2_life(C, harness, tmp_path, rng, C.size(20, 200), C.size(2, 20), figures,
                        proxy, ec2, outage=C.size(8.0, 30.0),
                        spacing=C.size((2.0, 5.0), (2.0, 6.0)))
    # The faults really happened: about 30 % of the requests (the EC2 layer
    # batches, so there are far fewer requests than jobs x actions).
    injected, requests = figures["injected_faults"], figures["requests"]
    assert requests > 0 and injected >= 0.1 * requests, (requests, proxy.injected())
    C.fail_or_xfail(problems)
