"""The live page of a real `punkforge run`, watched from outside while it trains.

A tiny recipe in a subprocess (as a user starts it); the test polls
`outputs/<name>/index.html` the way a browser reloads it: the page is there
before the first epoch ends, says "training" with an epoch number that grows,
and when the run ends the final gallery replaces it and nothing reloads. The
same with `--jobs 2` and `--ray` (the driver writes the page whatever pool
trains); and a run killed with `kill -9` leaves a page that a
rerun brings back to live and then to the final gallery.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import start_cli

pytestmark = pytest.mark.slow

TINY = """
name = "watch"
title = "Watch it devolve"
[data]
train_limit = 2000
test_limit = 32
[train]
epochs = 4
[render]
sample = 16
[render.poster]
paper = "A5"
dpi = 60
[render.series]
scale = 2
"""
WIDE = """
[variants.wide]
model.encoder = [ { filters = 8, kernel = 5 } ]
model.decoder = [ { filters = 8, kernel = 5 } ]
"""
CARD = re.compile(
    r'<article class="card" id="v-([^"]+)" data-state="([a-z]+)">.*?'
    r'<b class="epoch">(\d+)/(\d+)</b>',
    re.S,
)


def _start(recipe: Path, out: Path, *args: str) -> subprocess.Popen[str]:
    return start_cli("run", recipe, "--out", out, *args)  # output is small: pipes never fill


def _read(page: Path) -> str:
    try:
        return page.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


class Watch:
    """What polling the page saw: (time, {variant: (state, epoch)}, live?) per change."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, dict[str, tuple[str, int]], bool]] = []
        self.first_page: float | None = None
        self.epochs_before_page: int | None = None

    def epochs(self, variant: str) -> list[int]:
        """The epoch numbers the page showed for `variant` while it was training, in order."""
        out: list[int] = []
        for _, cards, _ in self.seen:
            state, epoch = cards.get(variant, ("", -1))
            if state == "training" and (not out or out[-1] != epoch):
                out.append(epoch)
        return out


def _watch(
    proc: subprocess.Popen[bytes], out: Path, until: Callable[[Watch], bool] | None = None
) -> Watch:
    """Poll the page until the run exits (or `until` says stop); what it showed."""
    page, history = out / "watch" / "index.html", out / "watch" / "base" / "history.csv"
    w, last = Watch(), ""
    deadline = time.time() + 400
    while proc.poll() is None and time.time() < deadline:
        text = _read(page)
        if text and w.first_page is None:
            w.first_page = time.time()
            rows = _read(history).splitlines()
            w.epochs_before_page = max(0, len(rows) - 1)
        if text and text != last and 'data-status="running"' in text:
            cards = {m[0]: (m[1], int(m[2])) for m in CARD.findall(text)}
            w.seen.append((time.time(), cards, 'http-equiv="refresh"' in text))
            last = text
            if until is not None and until(w):
                break
        time.sleep(0.05)
    return w


def _assert_final(out: Path) -> None:
    html = _read(out / "watch" / "index.html")
    assert 'http-equiv="refresh"' not in html and "data-status" not in html
    assert 'class="card"' in html and "poster-thumb.png" in html  # the finished gallery
    assert "data-state" not in html


@pytest.mark.parametrize(
    "jobs", [[], ["--jobs", "2"], ["--ray"]], ids=["in-process", "jobs-2", "ray"]
)
def test_the_page_follows_a_real_run(tmp_path: Path, jobs: list[str]) -> None:
    recipe = tmp_path / "watch.toml"
    recipe.write_text(TINY + (WIDE if jobs else ""), encoding="utf-8")
    out = tmp_path / "out"
    proc = _start(recipe, out, *jobs)
    w = _watch(proc, out)
    _, err = proc.communicate(timeout=400)
    assert proc.returncode == 0, err
    assert w.first_page is not None and w.epochs_before_page == 0  # before the first epoch
    assert w.seen and all(live for _, _, live in w.seen)  # while running, it reloads itself
    assert w.seen[0][1]["base"] == ("queued", 0)
    names = ["base", "wide"] if jobs else ["base"]
    seen = {name: w.epochs(name) for name in names}
    assert all(grown == sorted(grown) for grown in seen.values()), seen  # never backwards
    # The epoch number grows on the page. With two groups, one group's epochs can
    # arrive in a burst while the driver renders the other variant (documented in
    # docs/output-folder.md), so a 50 ms poll is only sure to see one of them grow.
    assert any(len(grown) >= 2 for grown in seen.values()), seen
    assert "live gallery" in err
    _assert_final(out)


def test_kill_9_then_a_rerun_brings_the_page_back(tmp_path: Path) -> None:
    recipe = tmp_path / "watch.toml"
    recipe.write_text(TINY.replace("epochs = 4", "epochs = 6"), encoding="utf-8")
    out = tmp_path / "out"
    page = out / "watch" / "index.html"
    proc = _start(recipe, out)

    def trained_two(w: Watch) -> bool:
        return any(e >= 2 for e in w.epochs("base"))

    _watch(proc, out, until=trained_two)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    killed = time.time()
    dead = _read(page)
    # nothing could say "stopped": the page still says running, with the time it was written
    # and the note its script shows once that time is a few reloads old
    assert 'data-status="running"' in dead and 'http-equiv="refresh"' in dead
    updated = int(re.search(r'data-updated="(\d+)"', dead)[1]) / 1000  # type: ignore[index]
    assert updated <= killed and 'id="stale" hidden' in dead and "kill -9" in dead

    rerun = _start(recipe, out)
    w = _watch(rerun, out)
    _, err = rerun.communicate(timeout=400)
    assert rerun.returncode == 0, err
    assert "resuming after" in err
    assert w.seen and w.seen[0][0] > killed  # live again, written by the rerun
    resumed = w.epochs("base")
    assert resumed and resumed[0] >= 2 and resumed[-1] >= 5, resumed  # from where it stopped
    _assert_final(out)
