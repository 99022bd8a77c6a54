"""Stage packages that share a name with an API function answer calls as that function.

`punkforge.run` and `punkforge.render` are both stage packages (`punkforge/run/`,
`punkforge/render/`) and the Python API's functions. Importing a subpackage sets
the parent's attribute to the module, so `punkforge.run(...)` reaches the package
whatever was imported first; the package therefore forwards calls to
`punkforge.api.run` / `punkforge.api.render`.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _ApiStage(types.ModuleType):
    """A stage package whose call is the API function of the same name."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from punkforge import api

        return getattr(api, self.__name__.rsplit(".", 1)[1])(*args, **kwargs)


def callable_as_api(module_name: str) -> None:
    """Make the already-imported package `module_name` callable (see module docstring)."""
    sys.modules[module_name].__class__ = _ApiStage
