"""condor_advertise and condor_status over the collector's provider ads."""

import json
import time

from pycondorlite.collector import Collector


def test_advertise_messages_and_errors(condor_env, h):
    p = h.run("condor_advertise", "UPDATE_STARTD_AD", h.EXAMPLE_AD)
    assert p.returncode == 0 and p.stdout.startswith("Sent 1 of 1 ad to ")
    p = h.run("condor_advertise", "UPDATE_STARTD_AD", condor_env / "missing.ad")
    assert p.returncode == 1
    assert p.stderr.startswith(f"couldn't open {condor_env / 'missing.ad'}: ")
    bad = condor_env / "bad.ad"
    bad.write_text('Name = "x"\nfoo = (1 +\n')
    p = h.run("condor_advertise", "UPDATE_STARTD_AD", bad)
    assert p.returncode == 1 and p.stderr == f"couldn't parse ClassAd in {bad}\n"
    assert "Traceback" not in p.stderr
    empty = condor_env / "empty.ad"
    empty.write_text("# nothing\n\n")
    p = h.run("condor_advertise", "UPDATE_STARTD_AD", empty)
    assert p.returncode == 1 and p.stderr == f"{empty} is empty\n"
    p = h.run("condor_advertise", "UPDATE_BOGUS_AD", h.EXAMPLE_AD)
    assert p.returncode == 1 and p.stderr.startswith("Unknown command name UPDATE_BOGUS_AD\n")


def test_multiple_and_single(spool, condor_env, h):
    two = h.provider_ad("a", "ami-1") + "\n" + h.provider_ad("b", "ami-2")
    p = h.run("condor_advertise", "-multiple", "UPDATE_STARTD_AD", "-", input=two, check=True)
    assert p.stdout.startswith("Sent 2 of 2 ads to ")
    assert sorted(a.name for a in Collector(spool).ads()) == ["a", "b"]
    # without -multiple the file is one ad: later lines replace earlier ones
    p = h.run("condor_advertise", "UPDATE_STARTD_AD", "-", input=two, check=True)
    assert p.stdout.startswith("Sent 1 of 1 ad to ")
    ads = {a.name: a for a in Collector(spool).ads()}
    assert ads["b"].text("image_key") == '"ami-2"'


def test_command_guessed_from_mytype(spool, condor_env, h):
    p = h.run("condor_advertise", input=h.EXAMPLE_AD.read_text(), check=True)
    assert p.stdout.startswith("Sent 1 of 1 ad to ")
    assert [a.name for a in Collector(spool).ads()] == ["provider_combination_1"]


def test_update_sequence_number(spool, condor_env, h):
    h.advertise(h.provider_ad("p", "ami-new", "UpdateSequenceNumber = 5\n"))
    h.advertise(h.provider_ad("p", "ami-old", "UpdateSequenceNumber = 4\n"))
    assert Collector(spool).ads()[0].text("image_key") == '"ami-new"'
    h.advertise(h.provider_ad("p", "ami-newer", "UpdateSequenceNumber = 6\n"))
    assert Collector(spool).ads()[0].text("image_key") == '"ami-newer"'


def test_invalidate_with_query_ad(spool, condor_env, h):
    h.advertise("\n".join(h.provider_ad(n, f"ami-{n}") for n in ("a", "b", "c")))
    q = ('MyType = "Query"\nTargetType = "Machine"\n'
         'Requirements = TARGET.image_key == "ami-b" || TARGET.Name == "c"\n')
    p = h.run("condor_advertise", "INVALIDATE_STARTD_ADS", "-", input=q, check=True)
    assert p.stdout.startswith("Sent 1 of 1 ad to ")
    assert [a.name for a in Collector(spool).ads()] == ["a"]
    h.run("condor_advertise", "INVALIDATE_STARTD_ADS", "-",
          input='MyType = "Query"\nTargetType = "Machine"\nName = "a"\n', check=True)
    assert Collector(spool).ads() == []


def test_lifetime(spool, condor_env, h):
    h.advertise(h.provider_ad("short", "ami-1", "ClassAdLifetime = 30\n") + "\n"
                + h.provider_ad("default", "ami-2"))
    now = int(time.time())
    assert len(Collector(spool).ads(now + 29)) == 2
    assert [a.name for a in Collector(spool).ads(now + 60)] == ["default"]
    assert [a.name for a in Collector(spool).ads(now + 899)] == ["default"]
    assert Collector(spool).ads(now + 1000) == []


def test_status_views_hide_the_password(condor_env, h):
    h.advertise(h.provider_ad("provider_combination_1") + "\n"
                + h.provider_ad("pc2", "ami-2"))
    default = h.run("condor_status", check=True).stdout
    lines = default.split("\n")
    assert lines[0].split() == ["Name", "OpSys", "Arch", "State", "Activity", "LoadAv",
                                "Mem", "ActvtyTime"]
    assert lines[1] == ""
    assert lines[2].split() == ["pc2", "??", "??", "??", "??", "??", "??", "-"]
    assert lines[3].startswith("provider_combination_1 ")
    assert "(Omitted 2 malformed ads in computed attribute totals)" in default
    total = h.run("condor_status", "-total", check=True).stdout
    assert "pc2" not in total and "Total Owner Claimed Unclaimed" in total
    long = h.run("condor_status", "-long", "pc2", check=True).stdout
    assert 'image_key = "ami-2"\n' in long and long.endswith("\n\n")
    names = [ln.split(" = ")[0] for ln in long.strip().split("\n")]
    assert names == sorted(names, key=str.lower)
    af = h.run("condor_status", "-af", "Name", "image_key", "password", check=True).stdout
    assert af == "pc2 ami-2 undefined\nprovider_combination_1 ami-ac3fc9c5 undefined\n"
    js = h.run("condor_status", "-json", "-constraint", 'image_key == "ami-2"', check=True)
    data = json.loads(js.stdout)
    assert [d["Name"] for d in data] == ["pc2"]
    for out in (default, total, long, af, js.stdout):
        assert "ec2_secret_access_key" not in out
    assert h.run("condor_status", "-af", "Name", "-constraint", "false").stdout == ""
