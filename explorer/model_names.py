"""The models offered by name: the demo, checkpoint folders in the configured directories, configured hub ids.

The app's picker lists them (:func:`available_models`) and the command line accepts the same names
(:func:`model_source`), so a command the app shows names the model as the user chose it, never by a
server path.
"""

from __future__ import annotations

import os
from pathlib import Path

from dnabert.loading.checkpoint import DEMO_MODEL_DIR
from dnabert.loading.hub import is_model_id

USER_MODELS = Path("models") / "user"  # relative to the working directory, like the default model folder
"""Where the Models page saves fine-tuned models by default (git-ignored)."""


def model_dirs() -> list[Path]:
    """Configured directories whose sub-folders may be offered as models; the Models page saves into the first."""
    raw = os.environ.get("DNABERT_MODEL_DIRS", os.pathsep.join([str(USER_MODELS), "models"]))
    return [Path(p).resolve() for p in raw.split(os.pathsep) if p]


def model_ids() -> list[str]:
    """Hugging Face model ids configured in ``DNABERT_MODEL_IDS`` (comma- or os.pathsep-separated; ill-formed entries skipped)."""
    raw = os.environ.get("DNABERT_MODEL_IDS", "").replace(os.pathsep, ",")
    return [i.strip() for i in raw.split(",") if i.strip() and is_model_id(i.strip())]


def available_models() -> dict[str, Path | str]:
    """Display name -> folder or hub id: ``demo`` first, then checkpoint folders in the configured directories,
    then the configured model ids (shown as themselves)."""
    models: dict[str, Path | str] = {"demo": DEMO_MODEL_DIR.resolve()}
    for root in model_dirs():
        if not root.is_dir():
            continue
        for sub in sorted(root.iterdir()):
            resolved = sub.resolve()
            if (resolved / "config.json").is_file() and resolved != models["demo"] and resolved.parent == root:
                models[f"{root.name}/{sub.name}"] = resolved
    for model_id in model_ids():
        models.setdefault(model_id, model_id)
    return models


def model_source(name: str) -> str | Path:
    """What ``--model NAME`` loads: a picker name's folder (or hub id), anything else unchanged (a folder, ``demo``, an id)."""
    if name == "demo" or Path(name).is_dir():
        return name
    return available_models().get(name, name)
