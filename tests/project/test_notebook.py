"""examples/quickstart.ipynb runs top to bottom (one tiny epoch) in a fresh kernel.

The kernel is this interpreter (a kernelspec written into tmp_path), so the test
works on a fresh CI machine without any Jupyter set-up.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import ROOT

NOTEBOOK = ROOT / "examples" / "quickstart.ipynb"


@pytest.mark.slow
def test_quickstart_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    spec = tmp_path / "jupyter" / "kernels" / "punkforge-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "punkforge test",
                "language": "python",
                "env": {"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"},
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    work = tmp_path / "work"
    work.mkdir()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="punkforge-test",
        timeout=600,
        resources={"metadata": {"path": str(work)}},
    )
    client.execute()
    # the run wrote its folder where the notebook ran, and results displayed as HTML
    assert (work / "outputs" / "devolved-punks" / "base" / "poster.png").is_file()
    html = [
        o["data"]["text/html"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "text/html" in o.get("data", {})
    ]
    assert any("data:image/png;base64," in h for h in html), "no poster shown"
    assert any("data:image/gif;base64," in h for h in html), "no GIF shown"
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
