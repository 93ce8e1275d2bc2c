"""The crash loop with refusals switched on: three provider ads ranked by price,
the cheapest refusing every create for capacity, a MaxInstances limit on the
next one, the schedd SIGKILLed at random moments. Same invariants as the crash
loop (0 duplicates, 0 leaks, 0 lost), no job held, and the limit never
exceeded, sampled from the simulator's own list all through the run."""

import threading

from pycondorlite.deltacloud.simulator import Simulator

PRICES = (("cheap", "img-cheap", "0.05"), ("middle", "img-middle", "0.08"),
          ("dear", "img-dear", "0.12"))


class Sampler(threading.Thread):
    def __init__(self, sim):
        super().__init__(daemon=True)
        self.sim, self.most, self.samples, self.stop_evt = sim, {}, 0, threading.Event()

    def run(self):
        while not self.stop_evt.wait(0.05):
            count = {}
            for i in self.sim.instances():
                if i.get("serial") is not None:
                    count[i["image_id"]] = count.get(i["image_id"], 0) + 1
            for k, v in count.items():
                self.most[k] = max(self.most.get(k, 0), v)
            self.samples += 1


def test_failover_crash_loop(harness, tmp_path, figures, chaos):
    C = chaos
    rng = C.rng_for("failover_crash_loop")
    n = C.size(30, 200)
    limit = n // 3
    kills = C.size(5, 20)

    def ranked(k, log):
        return C.submit_text(k, log=log).replace("queue ", "rank = -TARGET.PricePerHour\nqueue ")
    with Simulator(users={C.USER: C.PASSWORD}, pending_delay=0.3,
                   seed=rng.randrange(1 << 30)) as sim:
        sim.refuse_capacity(code="InsufficientInstanceCapacity", image_id="img-cheap")
        ads = "\n".join(C.provider_ad(sim.url, name=name, extra=(
            f"PricePerHour={price}\nWantAdRevaluate=True\n"
            + (f"MaxInstances={limit}\n" if name == "middle" else "")))
            .replace('image_key="ami-ac3fc9c5"', f'image_key="{image}"')
            for name, image, price in PRICES)
        sampler = Sampler(sim)
        sampler.start()
        try:
            sim, problems, events, mon = C.run_life(harness, sim, rng, n, kills, figures, tmp_path,
                                                    ads=ads, submit=ranked)
        finally:
            sampler.stop_evt.set()
            sampler.join(timeout=10)
        held = sorted({k for c, k in events if c == "012"})
        refusals = sum(1 for c, _ in events if c == "021")
        figures.update({"limit": limit, "most_live_on_limited_ad": sampler.most.get("img-middle", 0),
                        "live_samples": sampler.samples, "refusal_events": refusals,
                        "most_live_on_refusing_ad": sampler.most.get("img-cheap", 0)})
        if held:
            problems.append(f"jobs held although another provider had room: {held[:10]}")
        if sampler.most.get("img-middle", 0) > limit:
            problems.append(f"{sampler.most['img-middle']} live instances on an ad of "
                            f"MaxInstances {limit}")
        if sampler.most.get("img-cheap", 0):
            problems.append("an instance on the ad that refuses every create")
        if refusals < n:
            problems.append(f"only {refusals} refusal events for {n} jobs")
        C.fail_or_xfail(problems)
