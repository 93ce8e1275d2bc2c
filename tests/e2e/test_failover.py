"""Across providers, beyond HTCondor: failover when a cloud refuses, per-provider
instance limits (MaxInstances), the cheapest provider first.

The whole stack on the embedded defaults: three provider ads of the bundled
Deltacloud simulator, each its own image, ranked by price by the jobs
(`rank = -TARGET.PricePerHour`); the simulator refuses creates of the
cheapest one's image for capacity, as a provider behind deltacloud-core does
(502 with the backend's InsufficientInstanceCapacity). test_failover_ec2.py
does the same on EC2.
"""

import threading

from pycondorlite import refusals
from pycondorlite.deltacloud.simulator import Simulator

PRICES = (("cheap", "img-cheap", "0.05"), ("middle", "img-middle", "0.08"),
          ("dear", "img-dear", "0.12"))


def ads(e2e, url, extra=None):
    extra = extra or {}
    return "\n".join(e2e.provider_ad(url, name=name, image_key=image, extra=(
        f"PricePerHour={price}\nWantAdRevaluate=True\n" + extra.get(name, "")))
        for name, image, price in PRICES)


def submit_file(tmp_path, n):
    sub = tmp_path / "ranked.sub"
    sub.write_text("universe = grid\n"
                   "executable = job_name\n"
                   "notification = never\n"
                   'requirements = hardwareprofile == "large" && image == "fedora13"\n'
                   "rank = -TARGET.PricePerHour\n"
                   "grid_resource = deltacloud $$(provider_url)\n"
                   "DeltacloudUsername = $$(username)\n"
                   "DeltacloudPassword = $$(password)\n"
                   "DeltacloudImageId = $$(image_key)\n"
                   "DeltacloudHardwareProfile = $$(hardwareprofile_key)\n"
                   "DeltacloudKeyname = $$(keypair)\n"
                   f"log = {tmp_path / 'jobs.log'}\n"
                   f"queue {n}\n")
    return sub


class Sampler(threading.Thread):
    """Live instances per image, sampled from the simulator all through the run."""

    def __init__(self, sim):
        super().__init__(daemon=True)
        self.sim, self.most, self.stop_evt, self.samples = sim, {}, threading.Event(), 0

    def run(self):
        while not self.stop_evt.wait(0.02):
            count = {}
            for i in self.sim.instances():
                if i.get("serial") is not None:
                    count[i["image_id"]] = count.get(i["image_id"], 0) + 1
            for k, v in count.items():
                self.most[k] = max(self.most.get(k, 0), v)
            self.samples += 1

    def finish(self):
        self.stop_evt.set()
        self.join(timeout=10)


def _users(sim):
    return {"ec2_username": "ec2_secret_access_key"}


def _run(stack, e2e, tmp_path, n, extra=None):
    with Simulator(users=_users(None), pending_delay=0.2) as sim:
        sim.refuse_capacity(code="InsufficientInstanceCapacity", image_id="img-cheap")
        ad = tmp_path / "providers.ad"
        ad.write_text(ads(e2e, sim.url, extra))
        stack.tool("condor_advertise", "-multiple", "UPDATE_STARTD_AD", str(ad))
        stack.tool("condor_submit", str(submit_file(tmp_path, n)))
        sampler = Sampler(sim)
        sampler.start()
        stack.start_schedd()
        try:
            stack.wait(lambda sp: sp.count_by_status() == {2: n}, timeout=90,
                       what=f"all {n} Running")
        finally:
            sampler.finish()
        with stack.spool() as sp:
            jobs = sp.jobs()
        by_image = {}
        for i in sim.instances():
            if i.get("serial") is not None:
                by_image[i["image_id"]] = by_image.get(i["image_id"], 0) + 1
        counts = sim.counts()
        stack.remove("-all")
        stack.wait(lambda sp: sp.count_by_status() == {}, timeout=60, what="queue empty")
        left = [i for i in sim.instances() if i.get("serial") is not None]
        return jobs, by_image, counts, sampler, left


def test_cheapest_refuses_all_run_on_the_next_best(stack, e2e, tmp_path):
    n = 50
    jobs, by_image, counts, sampler, left = _run(stack, e2e, tmp_path, n)
    assert by_image == {"img-middle": n}
    assert counts["created_count"] == n and counts["duplicate_names"] == []
    assert left == []
    for j in jobs:
        assert j.status == 2 and j.literal("MatchedProvider") == "middle"
        (r,) = refusals.parse(j.text(refusals.ATTR))
        assert r.provider == "cheap" and r.reason.startswith("InsufficientInstanceCapacity:")
    text = (tmp_path / "jobs.log").read_text()
    assert text.count("Message from gridmanager on cheap:") == n
    assert "012 (" not in text          # nobody held


def test_limit_of_20_the_rest_placed_by_rank(stack, e2e, tmp_path):
    n = 50
    jobs, by_image, counts, sampler, left = _run(stack, e2e, tmp_path, n,
                                                 extra={"middle": "MaxInstances=20\n"})
    assert by_image == {"img-middle": 20, "img-dear": 30}
    assert sampler.samples > 10 and sampler.most["img-middle"] <= 20, sampler.most
    assert counts["created_count"] == n and left == []
    out = stack.tool("condor_status", "-af", "Name", "MaxInstances", "CurInstances").stdout
    assert "middle 20 0" in out     # the jobs have left: nothing live there any more


def test_every_provider_refusing_holds_listing_them_release_tries_again(stack, e2e, tmp_path):
    with Simulator(users=_users(None), pending_delay=0.0) as sim:
        for _, image, _ in PRICES:
            sim.refuse_capacity(code="InstanceLimitExceeded", image_id=image)
        ad = tmp_path / "providers.ad"
        ad.write_text(ads(e2e, sim.url))
        stack.tool("condor_advertise", "-multiple", "UPDATE_STARTD_AD", str(ad))
        stack.tool("condor_submit", str(submit_file(tmp_path, 1)))
        stack.start_schedd()
        stack.wait(lambda sp: sp.job(1, 0).status == 5, timeout=60, what="held")
        with stack.spool() as sp:
            job = sp.job(1, 0)
        reason = job.literal("HoldReason")
        assert reason.startswith("Every matching provider refused the job: ")
        for name, _, _ in PRICES:
            assert f"{name} at " in reason
        assert reason.count("InstanceLimitExceeded:") == 3
        # The refusals came cheapest first.
        assert [r.provider for r in sorted(refusals.parse(job.text(refusals.ATTR)),
                                           key=lambda r: r.time)] == ["cheap", "middle", "dear"]
        analysis = stack.tool("condor_q", "-better-analyze", "1.0").stdout
        for name, _, _ in PRICES:
            assert f"{name} refused" in analysis, analysis
        assert counts_created(sim) == 0
        sim.cloud.clear_capacity()
        stack.tool("condor_release", "1.0")
        stack.wait(lambda sp: sp.job(1, 0).status == 2, timeout=60, what="Running after release")
        with stack.spool() as sp:
            job = sp.job(1, 0)
        assert job.literal("MatchedProvider") == "cheap"
        assert job.literal(refusals.ATTR) is None
        stack.remove("1")
        stack.wait(lambda sp: sp.count_by_status() == {}, timeout=60, what="queue empty")


def counts_created(sim):
    return sim.counts()["created_count"]
