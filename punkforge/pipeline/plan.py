"""What a command would do to each variant, decided from the records alone (reads only).

`plan_variant` is the one planning rule: `punkforge run` follows it and
`punkforge run --dry-run` prints it, so the two cannot disagree. A variant is

- skipped when its manifest names the same resolved recipe and training key
  (which holds a folder source's content fingerprint) and every file it
  lists verifies;
- re-rendered when its stored arrays (model.keras, devolved.npz,
  snapshots.npz, history.csv) verify and were made by the same data, model
  and training settings (`same_arrays`), but the pictures changed or do not
  verify;
- devolved again from its training store when that store has the epochs;
- trained (resuming the store after its last finished epoch) otherwise.

`render_refusal` is the same rule seen from `punkforge render`: it names
what changed when the arrays no longer mean what the recipe asks for.
Nothing here imports TensorFlow or writes a file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from punkforge import files
from punkforge.pipeline.output_folder import (
    TRAIN_DIR,
    damaged,
    read_manifest,
    recipe_sha,
    resolved_toml,
)
from punkforge.recipe.plain_dicts import predict_dict, to_dict
from punkforge.recipe.sections import Recipe, Variant
from punkforge.training.store import read_state, training_key

# What devolving leaves in a variant folder; everything else is drawn from these.
SOURCES = ("model.keras", "devolved.npz", "snapshots.npz", "history.csv", "art.npz")


@dataclass(frozen=True)
class Plan:
    """One variant's next step: action is 'skip' | 'render' | 'devolve' | 'train'."""

    action: str
    why: str
    start: int = 1  # the first epoch 'train' will run
    epochs: int = 0  # the recipe's train.epochs

    def describe(self) -> str:
        """One line for --dry-run."""
        if self.action == "train":
            span = (
                f"epochs {self.start}-{self.epochs}"
                if self.start < self.epochs
                else (f"epoch {self.epochs}")
            )
            resume = f", resuming after epoch {self.start - 1}" if self.start > 1 else ""
            return f"train {span}{resume}, then devolve and render ({self.why})"
        if self.action == "devolve":
            return f"devolve from its training store, then render ({self.why})"
        if self.action == "render":
            return f"re-render from its saved arrays ({self.why})"
        return f"skip ({self.why})"


def predict_key(r: Recipe) -> dict[str, Any]:
    """The settings the stored arrays depend on beyond the training key and epochs."""
    return predict_dict(r)  # [art] too: a change there re-devolves, never retrains


def same_arrays(r: Recipe, manifest: dict[str, Any]) -> bool:
    """Whether the manifest's arrays were made with this recipe's data, model and training."""
    summary = manifest.get("summary")
    return (
        manifest.get("training_key") == training_key(r)
        and isinstance(summary, dict)
        and summary.get("epochs") == r.train.epochs
        and manifest.get("predict") == predict_key(r)
    )


def plan_variant(v: Variant, out: Path, fresh: bool = False) -> Plan:
    """The least work that brings out/<variant> up to date (reads only)."""
    r = v.recipe
    folder = out / v.name
    if fresh:
        return Plan("train", "--fresh", 1, r.train.epochs)
    manifest = read_manifest(folder)
    if manifest is not None:
        bad = damaged(folder, manifest)
        same_recipe = manifest.get("recipe_sha") == recipe_sha(resolved_toml(r, v.name))
        # The training key also holds a folder's content fingerprint: the same recipe
        # over a changed folder of images is never up to date.
        same_key = manifest.get("training_key") == training_key(r)
        if same_recipe and same_key and not bad:
            return Plan("skip", "up to date", epochs=r.train.epochs)
        if same_arrays(r, manifest) and not bad.intersection(SOURCES):
            if same_recipe:
                why = f"{_names(bad)} changed or missing"
            elif manifest.get("recipe_sha") is None:
                why = "the arrays are ready, the pictures are not"
            else:
                why = "only [render] or the title changed"
            return Plan("render", why, epochs=r.train.epochs)
        if bad.intersection(SOURCES):
            why = f"{_names(bad.intersection(SOURCES))} changed or missing"
        else:
            why = "the data, model or training settings changed"
    else:
        if (folder / "manifest.json").exists():  # there, but torn or of the wrong shape
            why = "manifest.json is damaged"
        else:
            why = "not finished yet" if folder.is_dir() else "new"
    state = read_state(out / TRAIN_DIR / training_key(r))
    if state.epoch >= r.train.epochs and state.sample >= r.render.sample:
        return Plan("devolve", why, epochs=r.train.epochs)
    start = state.epoch + 1 if state.sample >= r.render.sample else 1
    return Plan("train", why, start, r.train.epochs)


def _names(rels: set[str]) -> str:
    shown = sorted(rels)
    return ", ".join(shown[:3]) + (f" and {len(shown) - 3} more" if len(shown) > 3 else "")


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, val in d.items():
        if isinstance(val, dict):
            out.update(_flat(val, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = val
    return out


def _render_only_key(key: str) -> bool:
    return key == "title" or (key.startswith("render.") and key != "render.sample")


def render_refusal(v: Variant, folder: Path, manifest: dict[str, Any]) -> str | None:
    """Why `render` may not redraw this variant with this recipe, or None when it may.

    Names the changed keys by comparing with the variant's stored recipe.toml
    when that file still verifies.
    """
    r = v.recipe
    if same_arrays(r, manifest):
        return None
    changed: list[str] = []
    old: dict[str, Any] = {}
    entries = manifest.get("files")
    toml = entries.get("recipe.toml") if isinstance(entries, dict) else None
    if toml and not files.damaged_entries(folder, {"recipe.toml": toml}):
        try:
            old = _flat(tomllib.loads(files.read_bytes(folder / "recipe.toml").decode()))
        except (OSError, ValueError):
            old = {}
        new = _flat(to_dict(r))
        for key in sorted(set(old) | set(new)):
            if key != "name" and not _render_only_key(key) and old.get(key) != new.get(key):
                changed.append(f"{key} ({_show(old.get(key))} -> {_show(new.get(key))})")
    if toml and not changed and old:
        # the recipe is the one recorded: it is the manifest that disagrees with it
        return (
            f"{folder}: its manifest.json does not match the recipe.toml recorded beside it "
            "(it names other data, model, training or epochs), so it is damaged and the saved "
            "arrays cannot be trusted to mean this recipe; `render` only redraws pictures. "
            "Fix: run `punkforge run`, which devolves them again from the training store "
            "(nothing was changed on disk)."
        )
    what = (
        ", ".join(changed[:6]) + (" ..." if len(changed) > 6 else "")
        if changed
        else ("its data, model or training settings")
    )
    return (
        f"{folder}: the recipe changes {what}, but the saved arrays were made without that "
        "change; `render` only redraws pictures and never changes what a result means. "
        "Fix: run `punkforge run` to train or devolve it (nothing was changed on disk)."
    )


def _show(value: Any) -> str:
    text = "unset" if value is None else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
