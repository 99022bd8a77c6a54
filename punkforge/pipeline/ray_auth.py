"""Joining a Ray cluster the way `ray start --head` leaves it: with or without its token.

Since Ray 2.5x, `ray start --head` turns token authentication on whenever the
head machine has a token (`~/.ray/auth_token`), and off otherwise. A driver
that joins an explicit address (`--ray-address HOST:PORT`, what `ray start`
prints) does not follow suit: Ray enables the token only for `address="auto"`,
so the default cluster refuses it ("Authentication token is missing") after
retrying for a while, and a driver that sends a token to a cluster without
authentication hangs. So before `ray.init` punkforge asks the cluster itself
which it is: one unauthenticated `GetClusterId` call to its GCS (the call Ray's
driver starts with) answers UNAUTHENTICATED exactly when a token is needed.

- The user chose (`RAY_AUTH_MODE` set): nothing is changed.
- The cluster needs a token and one is at hand (`RAY_AUTH_TOKEN`,
  `RAY_AUTH_TOKEN_PATH` or `~/.ray/auth_token`): token mode is turned on for
  this process while the pool is open, as `ray.init()` on the head would.
- The cluster needs a token and none is here: one paragraph saying how to get it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from punkforge.errors import PunkforgeError

MODE = "RAY_AUTH_MODE"


def token_at_hand() -> str | None:
    """Where this machine's Ray token comes from (the variable or file), or None."""
    if os.environ.get("RAY_AUTH_TOKEN"):
        return "RAY_AUTH_TOKEN"
    path = os.environ.get("RAY_AUTH_TOKEN_PATH")
    candidates = [Path(path)] if path else [Path.home() / ".ray" / "auth_token"]
    return next((str(p) for p in candidates if p.is_file() and p.stat().st_size > 0), None)


def needs_token(hostport: str, timeout: float = 5.0) -> bool | None:
    """Whether the GCS at HOST:PORT refuses a driver without a token (None: could not tell)."""
    try:
        import grpc
    except ImportError:
        return None
    try:
        with grpc.insecure_channel(hostport) as channel:
            call = channel.unary_unary("/ray.rpc.NodeInfoGcsService/GetClusterId")
            call(b"", timeout=timeout)  # an empty GetClusterIdRequest
    except grpc.RpcError as err:
        code = err.code() if hasattr(err, "code") else None
        return True if code == grpc.StatusCode.UNAUTHENTICATED else None
    except Exception:
        return None
    return False


def match_cluster(address: str) -> Callable[[], None]:
    """Make this process's Ray authentication match the cluster at `address`.

    Returns the function that undoes it (call it when the pool closes).
    Raises PunkforgeError (exit 2) when the cluster needs a token this
    machine does not have.
    """
    if MODE in os.environ or address.startswith("ray://") or address == "auto":
        return lambda: None  # the user's choice, Ray Client, or Ray's own rule for auto
    if not needs_token(address):
        return lambda: None
    source = token_at_hand()
    if source is None:
        raise PunkforgeError(
            f"--ray-address {address}: that Ray cluster uses token authentication (`ray start "
            "--head` turns it on when the head machine has ~/.ray/auth_token), and this machine "
            "has no token. Fix: on the head node run `ray get-auth-token`, save what it prints "
            "as ~/.ray/auth_token here (or `export RAY_AUTH_TOKEN=...`), and run again.",
            exit_code=2,
        )
    os.environ[MODE] = "token"
    _refresh_ray_config()

    def undo() -> None:
        os.environ.pop(MODE, None)
        _refresh_ray_config()

    return undo


def wrong_token_hint(address: str) -> str:
    """What to add to a failed join when token mode was turned on here."""
    where = token_at_hand() or "~/.ray/auth_token"
    return (
        f" The cluster wants a token and {where} holds one, but the cluster did not accept it: "
        "it is another cluster's. Fix: on the head node run `ray get-auth-token` and put that "
        f"token in {where}."
    )


def _refresh_ray_config() -> None:
    """Ray caches its config per process; re-read it so the mode change is seen."""
    import sys

    if "ray" not in sys.modules:
        return  # read fresh at `import ray`
    try:
        from ray._raylet import Config

        Config.initialize("")
    except Exception:  # an older or newer Ray without this: the variable alone decides
        pass
