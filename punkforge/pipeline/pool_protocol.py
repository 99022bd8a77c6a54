"""What every pool is and sends: the `Pool` protocol and its events.

A pool (`pools.InProcessPool`, `pools.LocalPool`, `ray_pool.RayPool`) takes
training jobs and hands back `(group key, item)` events: a `Progress`, an
`EpochResult`, a `Failed` or a `Done`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from punkforge.training.store import EpochResult
from punkforge.training.worker import Failed, GroupJob, Progress, TrainData


@dataclass(frozen=True)
class Done:
    """The group sent its last epoch."""

    key: str


Item = Progress | EpochResult | Failed | Done
Event = tuple[str, Item]


class Pool(Protocol):
    """Runs submitted groups; `next_event` returns None once none is left."""

    description: str

    def submit(self, job: GroupJob, data: TrainData) -> None: ...
    def next_event(self) -> Event | None: ...
    def close(self) -> None: ...


def short_error(err: BaseException) -> str:
    """One line for a worker's exception: its type and its last line."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[-1] if text else ''}".rstrip(": ")
