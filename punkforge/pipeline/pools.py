"""Where training groups run: in this process, in N local processes, or on Ray.

A *pool* takes training jobs (`training.worker.GroupJob` plus the arrays it
trains on) and hands back what the workers send, one event at a time, as
`(group key, item)`: a `Progress`, an `EpochResult`, a `Failed` or a `Done`.
The driver (the runner) commits each epoch to its store, so a pool never
touches the output tree. `open_pool` checks the command line's choice
(`--jobs`, `--ray`, `--ray-address`) before anything is written.

`LocalPool` is a small hand-written process pool rather than
`concurrent.futures.ProcessPoolExecutor`: the executor cannot stream items
while a task runs, and when a worker dies it fails every task in flight
(BrokenProcessPool) without saying which one killed it, so one group's crash
could not be retried alone.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import signal
from collections import deque
from collections.abc import Iterator
from typing import Any

from punkforge.errors import PunkforgeError
from punkforge.pipeline.pool_protocol import Done, Event, Pool, short_error
from punkforge.training.autoencoder import INTER_OP_ENV
from punkforge.training.store import EpochResult
from punkforge.training.worker import Failed, GroupJob, Progress, TrainData, group_events


class InProcessPool:
    """`--jobs 1`: one group after another, trained in this process."""

    description = "in this process"

    def __init__(self) -> None:
        self.waiting: deque[tuple[GroupJob, TrainData]] = deque()
        self.current: tuple[str, Iterator[Progress | EpochResult | Failed]] | None = None

    def submit(self, job: GroupJob, data: TrainData) -> None:
        self.waiting.append((job, data))

    def next_event(self) -> Event | None:
        if self.current is None:
            if not self.waiting:
                return None
            job, data = self.waiting.popleft()
            self.current = (job.key, group_events(job, data))
        key, items = self.current
        try:
            item = next(items)
        except StopIteration:
            self.current = None
            return key, Done(key)
        except PunkforgeError:
            raise
        except Exception as err:  # a crash inside training: the runner may retry it
            self.current = None
            return key, Failed(key, short_error(err), retry=True)
        if isinstance(item, Failed):
            self.current = None
        return key, item

    def close(self) -> None:
        self.waiting.clear()
        self.current = None


def _worker_main(wid: int, tasks: Any, events: Any, inter_op: int) -> None:
    """A local worker process: train the groups it is given, send every item back."""
    os.environ[INTER_OP_ENV] = str(inter_op)  # before TensorFlow starts: its share of the cores
    # Ctrl-C reaches the whole process group: the driver alone decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = mp.parent_process()

    def orphaned() -> bool:  # the driver was killed (kill -9): nobody reads our epochs
        return parent is not None and not parent.is_alive()

    while True:
        try:
            msg = tasks.get(timeout=1.0)
        except queue.Empty:
            if orphaned():
                os._exit(0)
            continue
        if msg is None:
            return
        job, data = msg
        events.put((wid, ("start", job.key)))
        try:
            for item in group_events(job, data):
                if orphaned():
                    os._exit(0)
                events.put((wid, item))
                if isinstance(item, Failed):
                    break
            else:
                events.put((wid, Done(job.key)))
        except Exception as err:
            events.put((wid, Failed(job.key, short_error(err), retry=True)))


class LocalPool:
    """`--jobs N`: N worker processes on this machine (spawn start method).

    Each worker imports TensorFlow itself (never forked from a process that
    has loaded it) with the same fixed intra-op thread count as every other
    mode, and cores // N inter-op threads (which never change results).
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.description = f"in {jobs} local processes"
        self.ctx = mp.get_context("spawn")
        self.tasks: Any = None
        self.events: Any = None
        self.workers: dict[int, Any] = {}
        self.running: dict[int, str] = {}  # worker id -> group key
        self.outstanding: set[str] = set()
        self.next_wid = 0

    def _spawn(self) -> None:
        if self.tasks is None:
            self.tasks, self.events = self.ctx.Queue(), self.ctx.Queue()
        wid, self.next_wid = self.next_wid, self.next_wid + 1
        p = self.ctx.Process(
            target=_worker_main, daemon=True,
            args=(wid, self.tasks, self.events, max(1, (os.cpu_count() or 1) // self.jobs)),
            name=f"punkforge-worker-{wid}",
        )  # fmt: skip
        p.start()
        self.workers[wid] = p

    def submit(self, job: GroupJob, data: TrainData) -> None:
        self.outstanding.add(job.key)
        if len(self.workers) < min(self.jobs, len(self.outstanding)):
            self._spawn()
        self.tasks.put((job, data))

    def next_event(self) -> Event | None:
        while self.outstanding:
            dead = self._reap()
            if dead is not None:
                return dead
            try:
                wid, item = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if wid not in self.workers:
                continue  # a dead worker's last words: its group is already reported
            if isinstance(item, tuple):  # ("start", key)
                self.running[wid] = item[1]
                continue
            key = self.running.get(wid)
            if key is None:
                continue
            if isinstance(item, Done | Failed):
                del self.running[wid]
                self.outstanding.discard(key)
            return key, item
        return None

    def _reap(self) -> Event | None:
        """A worker that died while training: its group failed (and may be retried)."""
        for wid, p in list(self.workers.items()):
            if p.is_alive():
                continue
            del self.workers[wid]
            key = self.running.pop(wid, None)
            if self.outstanding:
                self._spawn()
            if key is not None:
                self.outstanding.discard(key)
                msg = f"its worker process died (exit status {p.exitcode})"
                return key, Failed(key, msg, retry=True)
        return None

    def close(self) -> None:
        if self.tasks is None:
            return
        for _ in self.workers:
            with contextlib.suppress(Exception):
                self.tasks.put(None)
        for p in self.workers.values():
            p.join(timeout=0.5 if self.running else 5)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
            if p.is_alive():
                p.kill()
        for q in (self.tasks, self.events):
            q.cancel_join_thread()
            q.close()
        self.workers.clear()


def parse_jobs(text: str) -> int:
    """`--jobs` as a count: an int >= 1, or 'auto' (one per two cores, at least 1)."""
    if text.strip().lower() == "auto":
        return max(1, (os.cpu_count() or 1) // 2)
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise PunkforgeError(
            f"--jobs {text}: expected a whole number of training groups to run at once (1 or "
            "more), or 'auto' for one per two cores. Fix: e.g. --jobs 2.",
            exit_code=2,
        )
    return n


def open_pool(jobs: str | None = None, ray: bool = False, ray_address: str | None = None) -> Pool:
    """The pool the command line asks for; raises PunkforgeError (exit 2) on bad input."""
    if (ray or ray_address) and jobs is not None:
        raise PunkforgeError(
            f"--jobs {jobs} cannot be combined with --ray/--ray-address: on Ray the cluster "
            "decides how many groups run at once (one per free CPU). Fix: drop --jobs.",
            exit_code=2,
        )
    if ray and ray_address:
        raise PunkforgeError(
            "--ray starts a new local Ray cluster and --ray-address joins an existing one; "
            "give one of them.",
            exit_code=2,
        )
    if ray or ray_address:
        from punkforge.pipeline.ray_pool import RayPool

        return RayPool(ray_address)
    n = parse_jobs(jobs) if jobs is not None else 1
    return InProcessPool() if n == 1 else LocalPool(n)
