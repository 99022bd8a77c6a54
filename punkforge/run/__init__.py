"""Stage 5, the run: planning, the runner, the output folder and the terminal UI.

`runner` decides the least work per variant and drives training, devolving
and rendering; `outputs` knows the output folder (resolved recipes, manifests,
the run lock); `target` finds what `punkforge render` redraws; `ui` draws
progress with rich. The driver owns the output tree.
"""

from punkforge._alias import callable_as_api

callable_as_api(__name__)  # punkforge.run(...) is punkforge.api.run
