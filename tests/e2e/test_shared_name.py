"""The review's story, end to end: jobs that share a user-given
deltacloud_instance_name never reach each other's instance.

- One submission giving the name to two jobs (`queue 2`) is refused by
  condor_submit: nothing queued, no instance.
- Two submissions of the name: the first job takes it and runs; the second is
  held with the reason. condor_rm of the first destroys its instance only;
  condor_release of the second then gives it the name, on an instance of
  its own.
"""

from pycondorlite.deltacloud.simulator import Simulator


def named_sub(tmp_path, name, n=1):
    sub = tmp_path / f"named{n}.sub"
    sub.write_text("universe = grid\n"
                   "executable = job_name\n"
                   'requirements = hardwareprofile == "large" && image == "fedora13"\n'
                   "grid_resource = deltacloud $$(provider_url)\n"
                   "DeltacloudUsername = $$(username)\n"
                   "DeltacloudPassword = $$(password)\n"
                   "DeltacloudImageId = $$(image_key)\n"
                   "DeltacloudHardwareProfile = $$(hardwareprofile_key)\n"
                   f"deltacloud_instance_name = {name}\n"
                   f"queue {n}\n")
    return sub


def test_shared_name_story(stack, e2e, tmp_path):
    with Simulator(users={"ec2_username": "ec2_secret_access_key"}) as sim:
        ad = tmp_path / "providers.ad"
        ad.write_text(e2e.provider_ad(sim.url, extra="WantAdRevaluate=True\n"))
        stack.tool("condor_advertise", "UPDATE_STARTD_AD", str(ad))

        refused = stack.tool("condor_submit", str(named_sub(tmp_path, "myvm", n=2)), check=False)
        assert refused.returncode == 1
        assert ('ERROR: deltacloud_instance_name "myvm" is given to 2 jobs of this submission'
                in refused.stderr)
        with stack.spool() as sp:
            assert sp.count() == 0

        stack.tool("condor_submit", str(named_sub(tmp_path, "myvm")))
        stack.tool("condor_submit", str(named_sub(tmp_path, "myvm")))
        stack.start_schedd()
        stack.wait(lambda sp: sp.job(1, 0).status == 2 and sp.job(2, 0).status == 5,
                   timeout=60, what="1.0 Running, 2.0 held")
        with stack.spool() as sp:
            first = sp.job(1, 0).literal("DeltacloudProviderId")
            assert sp.job(2, 0).literal("HoldReason") == \
                'DeltacloudInstanceName "myvm" is already used by job 1.0'
        assert [i["id"] for i in sim.instances() if i["name"] == "myvm"] == [first]

        stack.remove("1")
        stack.wait(lambda sp: sp.job(1, 0) is None, timeout=60, what="1.0 gone")
        assert sim.instance(first) is None
        stack.tool("condor_release", "2")
        stack.wait(lambda sp: sp.job(2, 0).status == 2, timeout=60, what="2.0 Running")
        with stack.spool() as sp:
            second = sp.job(2, 0).literal("DeltacloudProviderId")
        assert [(i["id"], i["name"]) for i in sim.instances()
                if i.get("serial") is not None] == [(second, "myvm")]
        stack.remove("2")
        stack.wait(lambda sp: sp.count() == 0, timeout=60, what="queue empty")
        assert [i for i in sim.instances() if i.get("serial") is not None] == []
