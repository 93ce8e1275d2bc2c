"""The reference example's story, end to end, against the bundled simulator.

provider ad advertised -> deltacloud_job.sub submitted as written -> the schedd
matches it, fills in $$() and launches the instance with the provider's
image / profile / keyname / credentials -> Running -> condor_rm -> the
instance is destroyed -> the job is in history.
"""

import os

from pycondorlite.deltacloud.simulator import Simulator


def test_reference_example_end_to_end(stack, e2e, tmp_path):
    with Simulator(users={"ec2_username": "ec2_secret_access_key"}, pending_delay=0.5) as sim:
        ad = tmp_path / "provider_combination_1.ad"
        ad.write_text(e2e.provider_ad(sim.url))
        sub = e2e.copy_example(tmp_path)
        with open(os.path.join(e2e.example_dir(), "deltacloud_job.sub"), "rb") as f:
            assert sub.read_bytes() == f.read()       # as written

        stack.tool("condor_advertise", "UPDATE_STARTD_AD", str(ad))
        out = stack.tool("condor_submit", str(sub)).stdout
        assert "1 job(s) submitted to cluster 1." in out
        stack.start_schedd()

        stack.wait(lambda sp: sp.job(1, 0).status == 2, what="job Running")
        with stack.spool() as sp:
            job = sp.job(1, 0)
            assert job.literal("MATCH_EXP_GridResource") == "deltacloud " + sim.url
            _, name, inst_id = job.literal("GridJobId").split()
            assert job.literal("DeltacloudProviderId") == inst_id
            assert job.literal("GridJobStatus") == "RUNNING"
            assert job.literal("DeltacloudPublicNetworkAddresses") == \
                f"ami-ac3fc9c5.{inst_id}.public.com"
        # The instance was launched with the provider's values and credentials.
        inst = sim.instance(inst_id)
        assert inst["name"] == name
        assert inst["image_id"] == "ami-ac3fc9c5"
        assert inst["hwp_id"] == "m1-large"
        assert inst["keyname"] == "mykeypair"
        assert inst["owner_id"] == "ec2_username"
        assert inst["state"] == "RUNNING"

        q = stack.tool("condor_q", "-nobatch").stdout
        assert " R " in q

        stack.remove("1")
        stack.wait(lambda sp: sp.job(1, 0) is None, what="job gone from the queue")
        assert sim.instance(inst_id) is None or sim.instance(inst_id).get("name") != name
        assert [i for i in sim.instances() if i.get("name") == name] == []
        with stack.spool() as sp:
            hist = [a for c, p, a in sp.history("cluster_id = 1")]
        assert len(hist) == 1 and hist[0]["JobStatus"] == "3"
        stats = sim.stats()
        print(stack.schedlog())
        assert stats.get("POST /api/instances") == 1
        assert stats.get("POST /api/instances/:id/stop") == 1
        assert stats.get("DELETE /api/instances/:id") == 1
        stack.stop_schedd()
        assert "ec2_secret_access_key" not in stack.schedlog()
        assert "Matched 1.0 to provider_combination_1" in stack.schedlog()
