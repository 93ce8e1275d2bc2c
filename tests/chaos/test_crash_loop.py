"""Crash loop: grid jobs through their whole life while the schedd is SIGKILLed
at random moments and restarted.

submit (in several clusters) -> match -> launch -> Running -> condor_rm of
half, completion of the rest by stopping their instances from outside. At
the end, against the simulator's own instance list: every job in the queue or
history exactly once, no job with two instances, no instance whose job has
left, every removed job's instance destroyed.
"""

from pycondorlite.deltacloud.simulator import Simulator


def test_crash_loop(harness, tmp_path, figures, chaos):
    C = chaos
    rng = C.rng_for("crash_loop")
    n = C.size(30, 200)
    kills = C.size(5, 20)
    with Simulator(users={C.USER: C.PASSWORD}, pending_delay=0.3, seed=rng.randrange(1 << 30)) as sim:
        sim, problems, events, mon = C.run_life(harness, sim, rng, n, kills, figures, tmp_path)
        assert not mon.both, f"jobs seen in queue and history at once: {sorted(mon.both)[:10]}"
        held = [k for c, k in events if c == "012"]
        assert not held, f"jobs held although nothing failed: {held[:10]}"
        assert figures["instances_created"] == n      # each job exactly one instance
        C.fail_or_xfail(problems)
    if C.LONG:
        assert figures["kills_survived"] >= 20
