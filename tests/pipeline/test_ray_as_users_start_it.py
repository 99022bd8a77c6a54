"""Ray as a user starts it: `ray start --head` with Ray's defaults, then `--ray-address`.

No Ray environment variable is set for the head or the driver (they are
removed from the test's environment); the head keeps every default setting
(port 6379 unless something here already listens there, node address,
dashboard, CPUs). Whether `ray start --head` turns token authentication on
depends only on whether its machine has `~/.ray/auth_token`, so each case
gets its own HOME: one with a token (token authentication on), one without
(off). punkforge must work against both, and say exactly what to do when the
cluster wants a token this machine lacks.

Each cluster is stopped at the end by ending the process group of the
`ray start --head --block` that started it (`--block` only keeps the command
in the foreground): `ray stop` would also stop every other Ray cluster of
this user on the machine, other test runs' included.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

pytest.importorskip("ray")
pytestmark = pytest.mark.slow

RAY = Path(sys.executable).with_name("ray")
TINY = """
name = "ray-probe"
[data]
train_limit = 64
test_limit = 16
[train]
epochs = 1
[render]
sample = 4
[render.poster]
paper = "A5"
dpi = 100
"""


def clean_env(home: Path) -> dict[str, str]:
    """The test's environment without any RAY_* variable, HOME as given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    return {**env, "HOME": str(home), "PYTHONPATH": str(ROOT), "COLUMNS": "200"}


def free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@contextlib.contextmanager
def head(home: Path) -> Iterator[str]:
    """`ray start --head` with the defaults; yields the address to join."""
    args = [str(RAY), "start", "--head", "--block"]
    port = 6379
    if not free(port):  # another cluster on this machine holds the default port
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        args.append(f"--port={port}")
    log = home / "ray-start.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            args, env=clean_env(home), cwd=home, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        # what a user waits for: `ray start --head` saying it started (the GCS port
        # listens earlier, before the node is ready to take a driver)
        deadline = time.time() + 300
        while "Ray runtime started" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.time() < deadline, "ray start --head did not finish starting"
            time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # what SIGTERM left of the cluster
        proc.wait(30)


def punkforge_run(recipe: Path, out: Path, address: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "punkforge", "run", str(recipe), "--out", str(out),
         "--ray-address", address],
        capture_output=True, text=True, cwd=ROOT, env=clean_env(home), timeout=600,
    )  # fmt: skip


def with_token(home: Path) -> Path:
    home.mkdir()
    res = subprocess.run([str(RAY), "get-auth-token", "--generate"], env=clean_env(home),
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert (home / ".ray" / "auth_token").is_file()
    return home


def test_a_default_head_with_token_authentication(tmp_path: Path) -> None:
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(TINY)
    token_home = with_token(tmp_path / "token-home")
    bare_home = tmp_path / "bare-home"
    bare_home.mkdir()
    with head(token_home) as address:
        # no token here: refused at once, with what to do
        started = time.time()
        res = punkforge_run(recipe, tmp_path / "refused", address, bare_home)
        assert res.returncode == 2, res.stderr
        assert "token authentication" in res.stderr and "ray get-auth-token" in res.stderr
        assert "Traceback" not in res.stderr and time.time() - started < 60
        assert not (tmp_path / "refused").exists(), "nothing written"
        # the head's own token, where `ray start` keeps it: it just works
        res = punkforge_run(recipe, tmp_path / "out", address, token_home)
        assert res.returncode == 0, res.stderr
        assert (tmp_path / "out" / "ray-probe" / "base" / "poster.png").is_file()
    assert "RAY_AUTH_MODE" not in os.environ


def test_a_default_head_without_token_authentication(tmp_path: Path) -> None:
    """A driver that has a token of its own must not send it to an open cluster (it would hang)."""
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(TINY)
    open_home = tmp_path / "open-home"
    open_home.mkdir()
    token_home = with_token(tmp_path / "token-home")
    with head(open_home) as address:
        res = punkforge_run(recipe, tmp_path / "out", address, token_home)
        assert res.returncode == 0, res.stderr
        assert (tmp_path / "out" / "ray-probe" / "base" / "poster.png").is_file()
