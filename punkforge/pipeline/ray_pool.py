"""Training groups as Ray tasks: `--ray` (a local cluster) or `--ray-address ADDR`.

One Ray core task per training group, a generator task (`num_returns=
"streaming"`) that yields every progress item and finished epoch as it
happens; the driver waits on all the groups' generators at once
(`ray.wait`) and commits each epoch as it arrives. The training arrays go to
the cluster once (`ray.put`), so nodes need no dataset, only the same
punkforge and TensorFlow, which `RayPool` checks on every node before
anything is written. Ray's own task retries are off: the runner retries a
failed group itself, from the last epoch it committed.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from punkforge.errors import PunkforgeError
from punkforge.pipeline.pool_protocol import Done, Event, short_error
from punkforge.training.worker import Failed, GroupJob, TrainData, group_events

INSTALL = "pip install 'punkforge[ray]'"


def _bad(message: str) -> PunkforgeError:
    return PunkforgeError(message, exit_code=2)


def node_versions() -> dict[str, str]:
    """What must match between the driver and every node."""
    from punkforge.version import __version__

    out = {"python": ".".join(map(str, __import__("sys").version_info[:2]))}
    out["punkforge"] = __version__
    for pkg in ("tensorflow", "keras", "numpy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "missing"
    return out


def _train_task(job: GroupJob, data: TrainData) -> Iterator[Any]:
    """The Ray task: one group's items, as they happen."""
    import os

    from punkforge.training.autoencoder import INTER_OP_ENV

    # one CPU per task: its share of the node for independent ops (never changes results)
    os.environ.setdefault(INTER_OP_ENV, "1")
    yield from group_events(job, data)


def _reachable(address: str) -> None:
    """Fail fast on a host:port nobody listens on (Ray itself would wait for minutes)."""
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise _bad(
            f"--ray-address {address}: expected 'auto', 'HOST:PORT' or 'ray://HOST:PORT' "
            "(e.g. 127.0.0.1:6379, the address `ray start --head` prints)."
        )
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as err:
        raise _bad(
            f"--ray-address {address}: no Ray cluster answers there ({err.strerror or err}). "
            "Fix: start one with `ray start --head` on that machine and use the address it "
            "prints, or use --ray to start a local cluster."
        ) from None


class RayPool:
    """Training groups on a Ray cluster, started here (address None) or joined."""

    def __init__(self, address: str | None) -> None:
        from punkforge.pipeline import ray_auth

        self._undo_auth = lambda: None
        if address and address != "auto":
            _reachable(address)
            self._undo_auth = ray_auth.match_cluster(address)  # token or not, as the cluster is
        try:
            import ray
        except ImportError:
            raise _bad(
                f"--ray needs Ray, which is not installed here. Fix: {INSTALL} (or drop "
                "--ray/--ray-address to train on this machine, with --jobs N)."
            ) from None
        self.ray = ray
        where = address or "a new local cluster"
        try:
            ray.init(
                address=address or "local",
                include_dashboard=False,
                logging_level="ERROR",
                log_to_driver=False,
            )
        except Exception as err:
            tokened = os.environ.get(ray_auth.MODE) == "token" and address
            self._undo_auth()
            raise _bad(
                f"Cannot start or join a Ray cluster at {where}: {short_error(err)}."
                + (
                    ray_auth.wrong_token_hint(address)
                    if tokened
                    else " Fix: check the address "
                    "(`ray status` on the head node prints it), or use --ray for a local one."
                )
            ) from None
        self.description = f"on Ray ({where})"
        try:
            self._check_versions()
        except BaseException:
            ray.shutdown()
            self._undo_auth()
            raise
        res = ray.cluster_resources()
        opts: dict[str, Any] = {"num_returns": "streaming", "max_retries": 0, "num_cpus": 1}
        gpus, cpus = res.get("GPU", 0.0), max(1.0, res.get("CPU", 1.0))
        if gpus > 0:  # share the cluster's GPUs between as many groups as it has CPUs
            opts["num_gpus"] = min(1.0, gpus / cpus)
        self.task = ray.remote(**opts)(_train_task)
        self.gens: dict[Any, str] = {}
        self.puts: list[tuple[TrainData, Any]] = []

    def _check_versions(self) -> None:
        ray = self.ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        check = ray.remote(num_cpus=0, max_retries=0)(node_versions)
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        refs = [
            check.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)
            ).remote()
            for n in nodes
        ]
        mine = node_versions()
        for node, ref in zip(nodes, refs, strict=True):
            name = node.get("NodeManagerAddress", node["NodeID"][:8])
            try:
                theirs = ray.get(ref, timeout=180)
            except Exception as err:
                raise _bad(
                    f"Ray node {name} cannot run punkforge ({short_error(err)}). Fix: install the "
                    f"same punkforge on every node ({INSTALL}) and make it importable there."
                ) from None
            diff = [f"{k} {theirs.get(k)} (here {v})" for k, v in mine.items()
                    if theirs.get(k) != v]  # fmt: skip
            if diff:
                raise _bad(
                    f"Ray node {name} has {', '.join(diff)}. Results would not match this "
                    "machine's. Fix: install the same versions on every node."
                )

    def submit(self, job: GroupJob, data: TrainData) -> None:
        ref = next((r for d, r in self.puts if d is data), None)
        if ref is None:
            ref = self.ray.put(data)  # once per dataset, whatever the number of groups
            self.puts.append((data, ref))
        self.gens[self.task.remote(job, ref)] = job.key

    def next_event(self) -> Event | None:
        ray = self.ray
        if not self.gens:
            return None
        ready, _ = ray.wait(list(self.gens), num_returns=1)
        gen = ready[0]
        key = self.gens[gen]
        try:
            ref = next(gen)
        except StopIteration:
            del self.gens[gen]
            return key, Done(key)
        try:
            item = ray.get(ref)
        except Exception as err:  # the task raised, or its worker or node died
            del self.gens[gen]
            cause = getattr(err, "cause", None)
            return key, Failed(key, short_error(cause or err), retry=True)
        if isinstance(item, Failed):
            del self.gens[gen]
        return key, item

    def close(self) -> None:
        for gen in list(self.gens):
            with contextlib.suppress(Exception):
                self.ray.cancel(gen, force=True)
        self.gens.clear()
        self.ray.shutdown()
        self._undo_auth()
