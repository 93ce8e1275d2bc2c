"""Concurrency: 8 concurrent submitters, and condor_hold / condor_release /
condor_rm racing the schedd (matching, launching, following instances) on
the same jobs.

No lost update: once condor_hold succeeds a job stays Held until we release
it, once condor_release succeeds it is not Held, once condor_rm succeeds it
is Removed or gone (to history as Removed) - whatever the schedd was writing
at that moment. No job in two states: never in the queue and history at once,
in the end in history exactly once. Cluster ids are never handed out twice.
Held and removed jobs' instances are destroyed; nothing leaks.
"""

import re
import threading
import time

from pycondorlite.deltacloud.simulator import Simulator

HELD, REMOVED = 5, 3


def test_concurrent_submit_hold_release_rm(harness, tmp_path, figures, chaos):
    C, h = chaos, harness
    rng = C.rng_for("concurrency")
    submitters = 8
    rounds = C.size(2, 8)           # submits per submitter
    per_submit = C.size(3, 5)       # jobs per submit
    racers = 4
    ops = C.size(4, 20)             # hold/release rounds per racer
    lock = threading.Lock()
    clusters = []
    errors = []
    violations = []
    counts = {"hold": 0, "release": 0, "rm": 0}

    with Simulator(users={C.USER: C.PASSWORD}, pending_delay=0.3,
                   faults={"latency": 0.01}) as sim:
        ad = tmp_path / "providers.ad"
        ad.write_text(C.provider_ad(sim.url))
        h.tool("condor_advertise", "UPDATE_STARTD_AD", ad)
        h.start_schedd()
        mon = C.Monitor(h, period=0.2, sim=sim)
        mon.start()

        def submitter(i):
            try:
                sub = tmp_path / f"s{i}.sub"
                sub.write_text(C.submit_text(per_submit, log=tmp_path / f"s{i}.log"))
                for _ in range(rounds):
                    out = h.tool("condor_submit", sub).stdout
                    cid = int(re.search(r"submitted to cluster (\d+)\.", out).group(1))
                    with lock:
                        clusters.append(cid)
            except BaseException as e:
                errors.append(f"submitter {i}: {e}")

        def status_of(keys):
            with h.spool() as sp:
                return {k: (sp.job(*k).status if sp.job(*k) else None) for k in keys}

        def racer(r, seed):
            rr = C.random.Random(seed)
            done = 0
            deadline = time.monotonic() + C.size(90, 600)
            try:
                while done < ops and time.monotonic() < deadline:
                    with lock:
                        mine = [(c, p) for c in clusters if c % racers == r
                                for p in range(per_submit)]
                    live = [k for k, st in status_of(mine).items() if st in (1, 2)]
                    if not live:
                        time.sleep(0.2)
                        continue
                    batch = rr.sample(live, min(len(live), rr.randint(1, 4)))
                    done += 1
                    ids = [f"{c}.{p}" for c, p in batch]
                    h.tool("condor_hold", *ids)
                    counts["hold"] += len(ids)
                    for check in range(3):      # right away, then while the schedd works
                        bad = {k: st for k, st in status_of(batch).items() if st != HELD}
                        if bad:
                            violations.append(f"held jobs not Held (check {check}): {bad}")
                        time.sleep(rr.uniform(0, 0.5))
                    if rr.random() < 0.3:
                        h.tool("condor_rm", *ids)
                        counts["rm"] += len(ids)
                        bad = {k: st for k, st in status_of(batch).items()
                               if st not in (REMOVED, None)}
                        if bad:
                            violations.append(f"removed jobs not Removed: {bad}")
                        continue
                    h.tool("condor_release", *ids)
                    counts["release"] += len(ids)
                    bad = {k: st for k, st in status_of(batch).items()
                           if st in (HELD, REMOVED, None)}
                    if bad:
                        violations.append(f"released jobs still Held or gone: {bad}")
                    time.sleep(rr.uniform(0, 0.5))
                    # Race again: remove some released jobs while they relaunch.
                    if rr.random() < 0.3:
                        victims = batch[: max(1, len(batch) // 2)]
                        h.tool("condor_rm", *[f"{c}.{p}" for c, p in victims])
                        counts["rm"] += len(victims)
            except BaseException as e:
                errors.append(f"racer {r}: {e}")

        threads = [threading.Thread(target=submitter, args=(i,)) for i in range(submitters)]
        threads += [threading.Thread(target=racer, args=(r, rng.randrange(1 << 30)))
                    for r in range(racers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=C.size(240, 900))
        assert not any(t.is_alive() for t in threads), "submitters/racers hung"
        assert not errors, "\n".join(errors)

        n = submitters * rounds * per_submit
        submitted = [(c, p) for c in clusters for p in range(per_submit)]
        assert len(set(clusters)) == len(clusters), f"a cluster id handed out twice: {clusters}"
        # Holding a running job kills its instance (and it stays Held).
        h.wait(lambda sp: sp.count_by_status().get(2, 0) >= 1, C.size(60, 300),
               "a job Running again")
        with h.spool() as sp:
            running = {j.id: j.literal("GridJobId").split()[1]
                       for j in sp.jobs("job_status = 2", limit=5)}
        h.tool("condor_hold", *[f"{c}.{p}" for c, p in running])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and \
                {i["name"] for i in sim.instances()} & set(running.values()):
            time.sleep(0.2)
        alive = {i["name"] for i in sim.instances()} & set(running.values())
        assert not alive, f"held jobs' instances still exist after 60s: {alive}"
        assert set(status_of(list(running)).values()) == {HELD}
        # Everything left: remove it all, wait for every instance to go.
        h.tool("condor_rm", "-all")
        h.wait(lambda sp: sp.count_by_status() == {}
               and not [i for i in sim.instances() if i.get("serial") is not None],
               C.size(120, 600), "queue empty and every instance destroyed")
        mon.finish()
        h.stop_schedd()
        fig, problems = C.check_invariants(h, sim, submitted, [], [], mon.names,
                                           relaunch_ok=True)
        _, hist = h.queue_state()
        not_removed = [(c, p, st) for c, p, st in hist if st != REMOVED]
        figures.update(fig)
        figures.update({"submitters": submitters, "holds": counts["hold"],
                        "releases": counts["release"], "removes": counts["rm"],
                        "violations": len(violations), "two_live_at_once": len(mon.two_live)})
    assert len(submitted) == n
    assert not violations, "\n".join(violations[:20])
    assert counts["hold"] >= racers * ops and counts["release"] > 0 and counts["rm"] > 0
    assert not mon.both, f"jobs in queue and history at once: {sorted(mon.both)[:10]}"
    assert not not_removed, f"jobs that ended other than Removed: {not_removed[:10]}"
    # Hold/release may relaunch a job (a new instance), but never while the old
    # one lives, never under a name used before, and nothing may leak.
    assert not mon.two_live, f"jobs with two live instances at once: {mon.two_live}"
    C.fail_or_xfail(problems)
