"""What every grid type's resource shares (HTCondor's BaseResource): one
endpoint + credentials, its request pool, its batched status and its limits.

- Requests of the resource's jobs run on a bounded thread pool
  (GRIDMANAGER_MAX_PENDING_REQUESTS); each result comes back to the poll
  thread through GridManager.deliver.
- Status is batched: ONE status request (a grid type's `fetch_status`, e.g.
  the instance list) per probe interval, however many jobs, on a thread of
  its own so that it never queues behind creates. Its answer goes to every
  job (`on_status`).
- After DOWN_AFTER_FAILED_LISTS failed status requests in a row the
  resource is down: jobs send nothing new, and each logs the grid resource
  down event (026); the first good answer brings it up again (025).
- At most GRIDMANAGER_MAX_SUBMITTED_JOBS_PER_RESOURCE jobs hold an instance.
"""

from concurrent.futures import ThreadPoolExecutor

from pycondorlite.gridmanager import errors
from pycondorlite.gridmanager.basejob import BACKOFF_MAX, GM_DONE, backoff

DOWN_AFTER_FAILED_LISTS = 3


class BaseResource:
    kind = "grid"           # a short name for thread names and logs

    def __init__(self, gm, label, grid_resource, now):
        self.gm = gm
        self.label = label                      # for logs: never holds a secret
        self.grid_resource = grid_resource
        self.jobs = {}                          # key -> job
        self.probe_interval = gm.probe_interval_for(self.kind)
        self.backoff_cap = min(BACKOFF_MAX, max(2.0, self.probe_interval))
        self.max_submitted = gm.max_submitted
        self.slots = set()                      # jobs holding (or about to hold) an instance
        self.pool = ThreadPoolExecutor(max_workers=gm.max_requests,
                                       thread_name_prefix=f"{self.kind}-req")
        self.status_pool = ThreadPoolExecutor(max_workers=1,
                                              thread_name_prefix=f"{self.kind}-status")
        self.futures = set()
        self.listing = None                     # the last good status answer
        self.refused_at = None                  # start of the last status request refused for good
        self.list_in_flight = False
        self.next_list_at = now                 # the first list goes out at once
        self.list_due = now
        self.list_failures = 0
        self.lists_sent = 0
        self.up = True

    def __repr__(self):
        return f"<{type(self).__name__} {self.label}>"

    # ---- for the grid type -------------------------------------------------------
    def status_client(self):
        """A client for the status request, or None if no job can supply
        credentials yet (poll thread)."""
        raise NotImplementedError

    def fetch_status(self, client, started):
        """The batched status request (status thread): returns the listing."""
        raise NotImplementedError

    def on_status(self, listing, now):
        """A good status answer arrived (poll thread): hand it to the jobs."""
        for j in list(self.jobs.values()):
            j.on_list(listing, now)

    def on_status_refused(self, err, started, now):
        """The status request was refused for good (bad credentials)."""

    # ---- limits --------------------------------------------------------------------
    def may_submit(self, job):
        if not self.up:
            return False
        if job in self.slots:
            return True
        if len(self.slots) >= self.max_submitted:
            return False
        self.slots.add(job)
        return True

    def take_slot(self, job):
        self.slots.add(job)

    def release_slot(self, job):
        self.slots.discard(job)

    # ---- requests ----------------------------------------------------------------
    def submit(self, job, op, fn, *args):
        if self.gm.closing:
            return      # shutting down: the job keeps its facts; the next start resumes
        self.gm.requests_in_flight += 1
        self.track(self.pool.submit(self._call, job, op, fn, args))

    def track(self, future):
        self.futures.add(future)
        future.add_done_callback(self.futures.discard)

    def busy(self):
        """Is a request running (not merely queued and cancelled)?"""
        return any(not f.done() for f in list(self.futures))

    def _call(self, job, op, fn, args):
        try:
            value = fn(*args)
            ok = True
        except Exception as e:      # every failure is a result for the state machine
            value = errors.as_cloud_error(e)
            ok = False
        self.gm.deliver(job.on_result, op, ok, value)

    # ---- batched status ------------------------------------------------------------
    def tick(self, now):
        """Start the batched status request when it is due. Returns when to look again."""
        if self.list_in_flight:
            return None
        if not any(j.state != GM_DONE for j in self.jobs.values()):
            return None
        if now < self.next_list_at:
            return self.next_list_at
        client = self.status_client()
        if client is None:
            return None
        # Fixed rate: the next list is due one interval after this one was due,
        # so a slow poll loop does not stretch the cycle.
        self.list_due = self.next_list_at
        self.list_in_flight = True
        self.lists_sent += 1
        self.track(self.status_pool.submit(self._list, client, now))
        return None

    def list_soon(self, now):
        """A job waits for a list: do not make it sit out a long pause (after
        bad credentials, say); the list that answers it decides."""
        if self.next_list_at > now + self.probe_interval:
            self.next_list_at = now

    def _list(self, client, started):
        try:
            value = self.fetch_status(client, started)
            ok = True
        except Exception as e:
            value = errors.as_cloud_error(e)
            ok = False
        self.gm.deliver(self._listed, ok, value, started)

    def _listed(self, ok, value, started, now):
        self.list_in_flight = False
        if ok:
            self.listing = value
            self.refused_at = None
            self.list_failures = 0
            self.next_list_at = max(self.list_due + self.probe_interval, started)
            if not self.up:
                self.gm.log.info("resource %s is up again", self.label)
                self.up = True
            # Also the jobs marked down by an earlier run of the gridmanager.
            for j in self.jobs.values():
                if j.unavailable_logged:
                    j.unavailable_logged = False
                    j.on_resource_down(False, now)
            self.on_status(value, now)
            return
        self.list_failures += 1
        self.next_list_at = now + min(self.probe_interval,
                                      backoff(self.list_failures, self.backoff_cap))
        self.gm.log.info("resource %s: status request failed (%s)", self.label, value)
        if isinstance(value, errors.PermanentError):
            # Bad credentials: the jobs' own requests will find out and hold.
            self.next_list_at = now + max(self.probe_interval, BACKOFF_MAX)
            self.refused_at = started
            self.on_status_refused(value, started, now)
            return
        if self.up and self.list_failures >= DOWN_AFTER_FAILED_LISTS:
            self.gm.log.warning("resource %s is down", self.label)
            self.up = False
            for j in self.jobs.values():
                if j.state != GM_DONE and not j.unavailable_logged:
                    j.unavailable_logged = True
                    j.on_resource_down(True, now)

    def shutdown(self):
        """Stop taking requests; queued ones are dropped, running ones finish
        on their own (their results may still be delivered)."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.status_pool.shutdown(wait=False, cancel_futures=True)
