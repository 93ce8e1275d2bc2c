"""A job acts on its own instance and on nothing else (issue: condor_rm of one
job destroyed another job's instance).

Each test records every action the simulator carries out, by instance id, and
checks that each one reached an instance of the job that asked for it."""

import pytest

from pycondorlite.deltacloud.client import Client


@pytest.fixture
def actions(sim, monkeypatch):
    """[(instance id, action)] in the order the simulator carried them out."""
    done = []
    real = sim.cloud.act

    def act(id, action):
        out = real(id, action)
        done.append((id, action))
        return out
    monkeypatch.setattr(sim.cloud, "act", act)
    return done


def _client(sim, h):
    return Client(sim.url, h.USER, h.PASSWORD)


def _state(sim, inst_id):
    inst = sim.instance(inst_id)
    return None if inst is None else inst["state"]


def test_two_procs_sharing_a_user_name(h, sim, spool, gm, actions):
    """The review's case: `deltacloud_instance_name = myvm` and `queue 2` (here
    queued behind condor_submit's back, which refuses it): the second proc is
    held, the first runs; condor_rm of the first reaches only its instance."""
    cid = h.submit(spool, sim.url, count=2, extra={"DeltacloudInstanceName": '"myvm"'})
    h.drive(gm, lambda: h.status(spool, cid, 0) == 2 and h.status(spool, cid, 1) == 5,
            what="1.0 Running, 1.1 held")
    assert h.attr(spool, cid, "HoldReason", pid=1) == \
        f'DeltacloudInstanceName "myvm" is already used by job {cid}.0'
    (inst,) = h.live(sim, "myvm")
    assert h.attr(spool, cid, "GridJobId") == f"deltacloud myvm {inst['id']}"
    assert h.attr(spool, cid, "GridJobId", pid=1) is None
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid, 0), what="1.0 gone")
    assert h.live(sim) == []
    assert {i for i, _ in actions} == {inst["id"]}


def test_later_job_with_a_name_in_use_is_held(h, sim, spool, gm, actions):
    a = h.submit(spool, sim.url, extra={"DeltacloudInstanceName": '"shared-vm"'})
    h.drive(gm, lambda: h.status(spool, a) == 2, what="a Running")
    b = h.submit(spool, sim.url, extra={"DeltacloudInstanceName": '"shared-vm"'})
    h.drive(gm, lambda: h.status(spool, b) == 5, what="b held")
    assert h.attr(spool, b, "HoldReason") == \
        f'DeltacloudInstanceName "shared-vm" is already used by job {a}.0'
    assert len(h.live(sim, "shared-vm")) == 1
    assert actions == []
    # Once the first job has left, the name is free again.
    h.remove(spool, [a])
    h.drive(gm, lambda: h.in_history(spool, a), what="a gone")
    h.release(spool, b)
    h.drive(gm, lambda: h.status(spool, b) == 2, what="b Running")
    assert len(h.live(sim, "shared-vm")) == 1


def test_known_id_is_never_overridden_by_a_name(h, sim, spool, gm, actions):
    """A job that knows its id keeps to it, even with another instance of its
    name in the list (ahead of its own); its rm destroys only its own."""
    with _client(sim, h) as c:
        other = c.create_instance("img1", name="twin-name")
        mine = c.create_instance("img1", name="twin-name")
    cid = h.submit(spool, sim.url, extra={
        "GridJobId": h.q(f"deltacloud twin-name {mine.id}"), "Managed": '"External"',
        "DeltacloudProviderId": h.q(mine.id), "DeltacloudInstanceName": '"twin-name"'})
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    for _ in range(10):         # several probe cycles: no sweep, no adoption
        gm.poll()
    assert h.attr(spool, cid, "GridJobId") == f"deltacloud twin-name {mine.id}"
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert _state(sim, other.id) == "RUNNING"
    assert _state(sim, mine.id) is None
    assert {i for i, _ in actions} == {mine.id}


def test_foreign_instance_with_our_generated_name_is_left_alone(h, sim, spool, gm, actions):
    """Someone made an instance carrying the very name the gridmanager will
    give the job: it is neither adopted nor destroyed."""
    cid = spool.reserve_cluster_id() + 1         # the next submit's cluster
    name = h.generated_name(spool, cid)
    with _client(sim, h) as c:
        foreign = c.create_instance("img1", name=name)
    assert h.submit(spool, sim.url) == cid
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    gid = h.attr(spool, cid, "GridJobId").split()
    assert gid[1] == name and gid[2] != foreign.id
    assert h.attr(spool, cid, "GridForeignInstanceIds") == foreign.id
    for _ in range(10):
        gm.poll()
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert _state(sim, foreign.id) == "RUNNING"
    assert foreign.id not in {i for i, _ in actions}


def test_uncertain_create_adopts_only_what_was_not_there_before(h, sim, spool, gm, actions):
    """Killed between the create and saving its id: the instance found by name
    is adopted only if it is not one recorded as foreign with the name."""
    name = "pcl-recovery-name"
    with _client(sim, h) as c:
        foreign = c.create_instance("img1", name=name)
        ours = c.create_instance("img1", name=name)     # the create whose answer was lost
    cid = h.submit(spool, sim.url, extra={
        "GridJobId": h.q(f"deltacloud {name}"), "Managed": '"External"',
        "GridForeignInstanceIds": h.q(foreign.id)})
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    assert h.attr(spool, cid, "GridJobId") == f"deltacloud {name} {ours.id}"
    assert sim.counts()["created_count"] == 2       # nothing launched again
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert _state(sim, foreign.id) == "RUNNING"
    assert {i for i, _ in actions} == {ours.id}


def test_duplicates_of_a_user_name_are_not_swept(h, sim, spool, gm, actions):
    """Two instances named as the user asked: the job takes one over (as
    HTCondor) and never destroys the other, which may be anyone's."""
    with _client(sim, h) as c:
        first = c.create_instance("img1", name="users-vm")
        second = c.create_instance("img1", name="users-vm")
    cid = h.submit(spool, sim.url, extra={"DeltacloudInstanceName": '"users-vm"'})
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    adopted = h.attr(spool, cid, "DeltacloudProviderId")
    assert adopted == first.id
    for _ in range(10):
        gm.poll()
    assert _state(sim, second.id) == "RUNNING"
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert _state(sim, second.id) == "RUNNING"
    assert {i for i, _ in actions} == {first.id}


def test_names_never_cut_short(h, sim, spool, gm, monkeypatch):
    """A provider whose limit is under the unique name's length holds the job
    (HTCondor cut its UUID to the limit, so that two names could be equal)."""
    from pycondorlite.gridmanager import cloudapi
    monkeypatch.setattr(cloudapi, "provider_info", lambda client: (12, True))
    cid = h.submit(spool, sim.url, count=2)
    h.drive(gm, lambda: h.status(spool, cid, 0) == 5 and h.status(spool, cid, 1) == 5,
            what="both held")
    need = len(h.generated_name(spool, cid))
    assert h.attr(spool, cid, "HoldReason") == (
        f"Deltacloud server {sim.url} limits instance names to 12 characters; "
        f"a unique name needs {need}")
    assert h.live(sim) == []


def test_generated_names_differ_per_proc_and_launch(h, sim, spool, gm):
    cid = h.submit(spool, sim.url, count=3)
    h.drive(gm, lambda: all(h.status(spool, cid, p) == 2 for p in range(3)), what="Running")
    names = {h.attr(spool, cid, "GridJobId", pid=p).split()[1] for p in range(3)}
    assert names == {h.generated_name(spool, cid, p) for p in range(3)}
    assert {i["name"] for i in h.live(sim)} == names
    h.remove(spool, [cid])
    h.drive(gm, lambda: all(h.in_history(spool, cid, p) for p in range(3)), what="history")
