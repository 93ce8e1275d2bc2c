"""Instance identity under the crash loop: no job's action ever reaches an
instance that is not its own.

While the schedd is SIGKILLed at random moments:
- jobs with the names the gridmanager makes, some of which someone else has
  already used for instances of their own (made before the jobs run, with
  the very names the jobs will get);
- jobs of separate submissions that ask for one user-given instance name:
  one job of each group gets it, the others are held, and condor_rm of any
  of them reaches only the instance of the job that has it.
Every action the simulator carries out is recorded by instance id; at the
end each must have reached an instance of exactly one job, the foreign
instances none and still run, and the usual invariants hold.
"""

import threading

from pycondorlite.deltacloud.client import Client
from pycondorlite.deltacloud.simulator import Simulator


def _record_actions(sim):
    done, lock = [], threading.Lock()
    real = sim.cloud.act

    def act(id, action):
        out = real(id, action)
        with lock:
            done.append((id, action))
        return out
    sim.cloud.act = act
    return done


def test_identity_crash_loop(harness, tmp_path, figures, chaos):
    C, h = chaos, harness
    rng = C.rng_for("identity_crash_loop")
    clusters, per = C.size((2, 6), (5, 30))
    groups, group_size = C.size((2, 2), (6, 3))
    kills = C.size(4, 20)
    with Simulator(users={C.USER: C.PASSWORD}, pending_delay=0.3,
                   seed=rng.randrange(1 << 30)) as sim:
        actions = _record_actions(sim)
        ad = tmp_path / "providers.ad"
        ad.write_text(C.provider_ad(sim.url))
        h.tool("condor_advertise", "UPDATE_STARTD_AD", ad)
        with h.spool() as sp:
            spool_id = sp.spool_id
        # Instances made by someone else, with names the coming jobs will get.
        foreign = {}
        with Client(sim.url, C.USER, C.PASSWORD) as c:
            for cid in range(1, clusters + 1):
                for pid in range(per):
                    if rng.random() < 0.3:
                        name = f"pcl-{spool_id}-{cid}-{pid}-1"
                        foreign[c.create_instance("img1", name=name).id] = name
        h.start_schedd()
        killer = C.Killer(h, rng, kills, spacing=C.size((0.6, 2.0), (1.0, 4.0)))
        mon = C.Monitor(h)
        killer.start()
        mon.start()
        log = tmp_path / "jobs.log"
        submitted, generated, shared = [], [], {}
        try:
            for i in range(clusters):
                sub = tmp_path / f"gen{i}.sub"
                sub.write_text(C.submit_text(per, log=log))
                cid = int(h.tool("condor_submit", sub).stdout.rsplit("cluster", 1)[1]
                          .strip().rstrip("."))
                assert cid == i + 1
                generated += [(cid, p) for p in range(per)]
            for g in range(groups):
                for k in range(group_size):
                    sub = tmp_path / f"shared{g}-{k}.sub"
                    sub.write_text(C.submit_text(
                        1, log=log, extra=f"deltacloud_instance_name = shared-vm-{g}\n"))
                    cid = int(h.tool("condor_submit", sub).stdout.rsplit("cluster", 1)[1]
                              .strip().rstrip("."))
                    shared.setdefault(g, []).append((cid, 0))
            submitted = generated + [j for js in shared.values() for j in js]

            def settled(sp):
                st = {j.id: j.status for j in sp.jobs(order=False)}
                if any(st.get(j) != 2 for j in generated):
                    return False
                return all(sorted(st.get(j) for j in js) == [2] + [5] * (group_size - 1)
                           for js in shared.values())
            h.wait(settled, C.size(150, 900), "generated jobs Running, one of each group",
                   keep_alive=True)
            with h.spool() as sp:
                holders = {}
                for g, js in shared.items():
                    for j in js:
                        ad_ = sp.job(*j)
                        if ad_.status == 2:
                            holders[g] = j
                for g, js in shared.items():
                    for j in js:
                        if j != holders[g]:
                            reason = sp.job(*j).literal("HoldReason")
                            assert reason == (f'DeltacloudInstanceName "shared-vm-{g}" is already '
                                              f"used by job {holders[g][0]}.0"), reason
                ids = {j: sp.job(*j).literal("GridJobId").split()[2] for j in generated}
            assert not set(ids.values()) & set(foreign), "a job took a foreign instance"
            order = list(generated)
            rng.shuffle(order)
            removed = sorted(order[: len(order) // 2]) + sorted(
                j for js in shared.values() for j in js)
            completed = sorted(order[len(order) // 2:])
            for i in range(0, len(removed), 50):
                h.tool("condor_rm", *[f"{c}.{p}" for c, p in removed[i:i + 50]])
            for key in completed:
                sim.set_state(ids[key], "STOPPED")
            h.wait(lambda sp: sp.count_by_status() == {}, C.size(150, 900), "queue empty",
                   keep_alive=True)
            killer.finish(timeout=C.size(60, 300))
            h.wait(lambda sp: not [i for i in sim.instances() if i.get("serial") is not None
                                   and i["id"] not in foreign],
                   60, "every instance of ours destroyed")
        finally:
            killer.stop_evt.set()
            killer.join(timeout=60)
            mon.finish()
        h.stop_schedd()

        names = dict(mon.names)
        for name, jobs in C.log_grid_names(log).items():
            names.setdefault(name, set()).update(jobs)
        fig, problems = C.check_invariants(h, sim, submitted, removed, completed, names,
                                           foreign=foreign)
        # Every action reached an instance of exactly one job; foreign ones none.
        by_id = {r["id"]: r["name"] for r in sim.cloud.history_list()}
        on_foreign = [(i, a) for i, a in actions if i in foreign]
        strays = [(i, a) for i, a in actions
                  if i not in foreign and len(names.get(by_id.get(i), ())) != 1]
        still = {i: (sim.instance(i) or {}).get("state") for i in foreign}
        if on_foreign:
            problems.append(f"actions on foreign instances: {on_foreign[:10]}")
        if strays:
            problems.append(f"actions on instances of no single job: {strays[:10]}")
        if any(s != "RUNNING" for s in still.values()):
            problems.append(f"foreign instances touched: {still}")
        fig.update({"kills_survived": h.kills, "foreign_instances": len(foreign),
                    "actions": len(actions), "actions_on_foreign": len(on_foreign),
                    "actions_on_no_single_job": len(strays),
                    "shared_name_jobs": sum(len(js) for js in shared.values())})
        figures.update(fig)
        if h.kills < kills:
            problems.append(f"only {h.kills} kills (wanted {kills})")
        C.fail_or_xfail(problems)
