"""From a parsed description to clusters of jobs in the spool.

What condor_submit and htcondor's Schedd.submit() share once a description
is read: its queue statements grouped into clusters (a new one each time the
executable changes, as condor_submit's CheckForNewExecutable does), the ads
of each cluster built and checked, and all of it queued in the spool so that
a description refused while its ads are built leaves the spool as it was.
"""

from pycondorlite import config
from pycondorlite.submit.description import check_unique_instance_names


def group(desc):
    """The queue statements of `desc` in clusters: [[QueueBlock]]."""
    groups = []
    last = None
    for blk in desc.blocks:
        key = (_raw(blk.macros, "executable"), _raw(blk.macros, "cmd"))
        if not groups or key != last:
            groups.append([])
            last = key
        groups[-1].append(blk)
    return groups


def _raw(macros, name):
    item = macros.table.get(name)
    return item[1] if item else ""


def over_limit(total):
    """Would `total` jobs exceed the schedd's MAX_JOBS_PER_SUBMISSION? (Checked
    before any ad is built: `queue 100000000` is refused at once.)"""
    limit = config.param_int("MAX_JOBS_PER_SUBMISSION", 20000)
    return limit > 0 and total > limit


def build(desc, groups, cids):
    """[(cluster id, cluster ad, proc ads)] of every cluster, checked."""
    out = []
    for cid, blocks in zip(cids, groups):
        cluster, procs = _merge_blocks(desc.jobs(cluster_id=cid, blocks=blocks))
        out.append((cid, cluster, procs))
    check_unique_instance_names([(c, p) for _, c, p in out])
    return out


def _merge_blocks(results):
    """One cluster ad for the queue statements of a cluster; later statements'
    differences go into their proc ads."""
    cluster = None
    procs = []
    for cad, pads, _ in results:
        if cad is None:
            continue
        if cluster is None:
            cluster = cad
            procs.extend(pads)
            continue
        extra = {k: v for k, v in cad.items() if cluster.get(k) != v}
        missing = {k: "undefined" for k in cluster if k not in cad and k != "ClusterId"}
        for p in pads:
            q = dict(missing)
            q.update(extra)
            q.update(p)
            procs.append(q)
    return cluster, procs


def queue(sp, desc, groups, edit=None):
    """Build the clusters of `groups` and store them in the spool `sp`; wake
    the schedd. edit(cluster, procs) -> (cluster, procs), if given, has the
    last word on each cluster's ads before they are stored. Returns what
    build() returned: the ads as condor_submit makes them.

    The cluster ids are taken in the transaction the ads are built in: a
    description refused while they are built takes none."""
    with sp.transaction():
        cids = [sp.reserve_cluster_id() for _ in groups]
        built = build(desc, groups, cids)
    # Owner and User are the schedd's part (condor_submit leaves Owner
    # undefined): Spool.submit sets them, and checks a +Owner of the description.
    for cid, cluster, procs in built:
        if edit is not None:
            cluster, procs = edit(cluster, procs)
        sp.submit(cid, cluster, procs)
    sp.nudge_schedd()       # never fails
    return built
