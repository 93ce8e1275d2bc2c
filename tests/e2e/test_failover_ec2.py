"""Failover on EC2: the embedded EC2's fault proxy refuses the cheaper region
for capacity; the jobs run in the other one (see test_failover.py)."""

def test_ec2_cheaper_region_refuses_the_other_takes_it(stack, tmp_path):
    from pycondorlite.ec2.embedded import EmbeddedEC2
    from pycondorlite.ec2.faultproxy import FaultProxy
    with EmbeddedEC2(regions=("us-east-1", "eu-west-1")) as ec2:
        for region, ami in (("us-east-1", "ami-11111111"), ("eu-west-1", "ami-22222222")):
            ec2.seed_image(region, ami)
        with FaultProxy(ec2.port) as proxy:
            proxy.refuse_capacity("InsufficientInstanceCapacity", region="eu-west-1")
            (tmp_path / "ak").write_text("AKIAIOSFODNN7EXAMPLE\n")
            (tmp_path / "sk").write_text("any-secret\n")
            ads_text = "\n".join(f'''Name="ec2_{region}"
MyType="Machine"
Requirements=true
PricePerHour={price}
WantAdRevaluate=True
ec2_url="{proxy.url(region)}"
image_key="{ami}"
''' for region, ami, price in (("us-east-1", "ami-11111111", "0.10"),
                                  ("eu-west-1", "ami-22222222", "0.08")))
            (tmp_path / "ec2.ad").write_text(ads_text)
            stack.tool("condor_advertise", "-multiple", "UPDATE_STARTD_AD", str(tmp_path / "ec2.ad"))
            sub = tmp_path / "ec2.sub"
            sub.write_text("universe = grid\nexecutable = ec2_job\n"
                           "rank = -TARGET.PricePerHour\n"
                           "grid_resource = ec2 $$(ec2_url)\n"
                           "ec2_access_key_id = ak\nec2_secret_access_key = sk\n"
                           "ec2_ami_id = $$(image_key)\nec2_instance_type = m1.large\n"
                           "queue 3\n")
            stack.tool("condor_submit", str(sub))
            stack.start_schedd()
            stack.wait(lambda sp: sp.count_by_status() == {2: 3}, timeout=60, what="Running")
            with stack.spool() as sp:
                placed = {j.literal("MatchedProvider") for j in sp.jobs()}
            assert placed == {"ec2_us-east-1"}
            assert {i["region"] for i in ec2.instances()} == {"us-east-1"}
            assert proxy.injected().get("InsufficientInstanceCapacity") == 3
            stack.remove("-all")
            stack.wait(lambda sp: sp.count_by_status() == {}, timeout=60, what="queue empty")
            assert all(i["state"] == "terminated" for i in ec2.instances())
