"""The schedd daemon: one per spool, condor_master/condor_off, nudges, SIGTERM,
and kill -9 at random moments without losing or doubling a match."""

import os
import random
import signal
import time

from pycondorlite import schedd as schedd_mod
from pycondorlite.collector import Collector


def wait_for(cond, timeout=10.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


def matched(sp, cid, pid=0):
    ad = sp.job_ad(cid, pid)
    return ad is not None and ad.get("Matched", "").lower() == "true"


def test_master_start_nudge_off(spool, condor_env, h):
    p = h.run("condor_master", check=True)
    assert p.stdout == "" and p.stderr == ""
    spool_dir = str(condor_env / "spool")
    pid = schedd_mod.running_pid(spool_dir)
    assert pid and os.path.exists(os.path.join(spool_dir, "schedd.pid"))
    try:
        second = h.run("condor_master")
        assert second.returncode == 1
        assert "already running" in second.stderr and str(pid) in second.stderr
        assert h.run("condor_schedd", "-f").returncode == 1
        h.advertise(h.EXAMPLE_AD.read_text())
        t0 = time.monotonic()
        h.run("condor_submit", h.EXAMPLE_SUB, check=True)
        assert wait_for(lambda: matched(spool, 1), timeout=5)
        # a nudge (from condor_submit) is answered well within the 60 s interval
        assert time.monotonic() - t0 < 3.0
        assert spool.job_ad(1, 0)["MATCH_EXP_DeltacloudImageId"] == '"ami-ac3fc9c5"'
    finally:
        off = h.run("condor_off")
    assert off.returncode == 0
    assert off.stdout == 'Sent "Kill-All-Daemons" command to local master\n'
    assert schedd_mod.running_pid(spool_dir) is None
    assert not os.path.exists(os.path.join(spool_dir, "schedd.pid"))
    log = (condor_env / "log" / "SchedLog").read_text()
    assert "** condor_schedd (CONDOR_SCHEDD) STARTING UP" in log
    assert "Matched 1.0 to provider_combination_1" in log
    assert "EXITING WITH STATUS 0" in log
    assert "ec2_secret_access_key" not in log
    again = h.run("condor_off")
    assert again.returncode == 1
    assert again.stderr.startswith("Can't find address for local master\n")


def test_sigterm_stops_cleanly(spool, condor_env):
    spool_dir = str(condor_env / "spool")
    pid = schedd_mod.start_background(spool_dir)
    os.kill(pid, signal.SIGTERM)
    assert wait_for(lambda: schedd_mod.running_pid(spool_dir) is None, timeout=10)
    assert "EXITING WITH STATUS 0" in (condor_env / "log" / "SchedLog").read_text()


def test_kill_9_loop_no_lost_or_double_match(spool, condor_env, h):
    """Jobs arrive while the schedd is SIGKILLed at random moments and
    restarted; at the end every job is matched exactly once, its expansion
    is there, and the ads' CurMatches add up to the jobs they serve."""
    spool_dir = str(condor_env / "spool")
    ads = "\n".join(h.provider_ad(f"p{i}", f"ami-{i}", "WantAdRevaluate = True\n"
                                  "UpdateSequenceNumber = 1\n") for i in range(3))
    h.advertise(ads)
    rnd = random.Random(7)
    total = 0
    kills = 0
    deadline = time.monotonic() + 60
    for _ in range(12):
        h.submit_ads(spool, count=150)
        total += 150
        pid = schedd_mod.start_background(spool_dir)
        spool.nudge_schedd()
        time.sleep(rnd.uniform(0.0, 0.4))
        os.kill(pid, signal.SIGKILL)
        kills += 1
        assert wait_for(lambda: schedd_mod.running_pid(spool_dir) is None, timeout=10)
        assert time.monotonic() < deadline
    schedd_mod.start_background(spool_dir)
    try:
        def all_matched():
            return spool.conn.execute("SELECT count(*) FROM jobs WHERE matched = 1"
                                      ).fetchone()[0] == total
        assert wait_for(all_matched, timeout=30)
    finally:
        assert schedd_mod.stop(spool_dir, timeout=20)
    per_ad = {}
    for job in spool.jobs():
        ad = job.as_dict(private=True)
        assert ad["NumJobMatches"] == "1", (job.id, ad["NumJobMatches"])
        assert ad["MATCH_EXP_DeltacloudImageId"].startswith('"ami-')
        img = ad["MATCH_EXP_DeltacloudImageId"].strip('"')
        per_ad[img] = per_ad.get(img, 0) + 1
    assert sum(per_ad.values()) == total
    cur = {a.text("image_key").strip('"'): a.cur_matches for a in Collector(spool).ads()}
    assert cur == per_ad
    assert kills == 12


def test_expansion_failure_is_held_with_a_user_log_event(spool, condor_env, h):
    h.advertise(h.EXAMPLE_AD.read_text())
    sub = h.EXAMPLE_SUB.read_text().replace("$$(keypair)", "$$(no_keypair)").replace(
        "queue", f"log = {condor_env / 'job.log'}\nqueue")
    spool_dir = str(condor_env / "spool")
    schedd_mod.start_background(spool_dir)
    try:
        h.submit_file(condor_env / "bad.sub", sub)
        assert wait_for(lambda: spool.job_ad(1, 0)["JobStatus"] == "5", timeout=10)
    finally:
        schedd_mod.stop(spool_dir)
    job = spool.job_ad(1, 0)
    assert job["HoldReason"] == '"Cannot expand $$ expression (no_keypair)."'
    log = (condor_env / "job.log").read_text()
    assert "012 (001.000.000)" in log
    assert "\tCannot expand $$ expression (no_keypair).\n\tCode 0 Subcode 0\n" in log
