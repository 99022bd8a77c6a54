"""The one exception type for mistakes a user can make or hit.

Anything a person can cause or fix (a bad recipe, a missing file, a read-only
folder, a full disk) is raised as `PunkforgeError` with a readable message; the
CLI prints the message and exits with `exit_code`. Programming errors still
raise normally.
"""

from __future__ import annotations


class PunkforgeError(Exception):
    """A user-facing error: `str(err)` is the paragraph the CLI prints."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class RecipeError(PunkforgeError):
    """The recipe (file, TOML or `--set`) is invalid: exit status 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=2)


class RunError(PunkforgeError):
    """Something failed while running: exit status 1."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=1)
