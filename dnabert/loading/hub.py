"""Model sources: a local folder or a Hugging Face model id, resolved through the HF cache.

An id such as ``zhihan1996/DNABERT-2-117M`` is fetched with
``huggingface_hub.snapshot_download``: downloaded once when the machine is
online, read from the cache when ``HF_HUB_OFFLINE=1``. The cache folder and
the offline switch are read from the environment at call time
(``HF_HUB_CACHE``, else ``HF_HOME``/hub; ``HF_HUB_OFFLINE``), so the user's
environment decides; this module never switches offline mode on.

Only configuration, vocabulary and weight files are fetched; the model code a
hub repository may carry is never downloaded nor run. The snapshot folder an id
resolves to (through the cache's ``refs/main``) must be a folder directly inside
that id's own ``snapshots/`` folder, links resolved: a ref such as ``../../x`` or
an absolute path is refused.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from huggingface_hub import constants, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, HFValidationError, LocalEntryNotFoundError, RepositoryNotFoundError
from huggingface_hub.file_download import repo_folder_name

from dnabert.errors import InputError

MODEL_FILES = ["*.json", "*.txt", "*.safetensors", "pytorch_model.bin"]
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class ModelSourceError(InputError):
    """A model source that is neither a folder nor a resolvable Hugging Face id."""


def is_model_id(source: str) -> bool:
    """True for text shaped like a hub id (``owner/name``) that is not an existing path."""
    return bool(_REPO_ID.match(source)) and not Path(source).exists()


def hub_cache_dir() -> str | None:
    """The hub cache folder the environment names now (None: huggingface_hub's default)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return str(Path(os.environ["HF_HOME"]) / "hub")
    return None


def hub_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` is set to a true value (1, true, yes, on)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "TRUE", "YES", "ON"}


def resolve_model_id(model_id: str, revision: str | None = None) -> Path:
    """Local snapshot folder of a hub model id (downloaded if online and not cached).

    Raises
    ------
    ModelSourceError
        The id is not cached and cannot be downloaded (offline, no network,
        unknown repository): the message names the id and the cache folder.
    """
    offline = hub_offline()
    cache = hub_cache_dir()
    try:
        path = snapshot_download(
            model_id, revision=revision, cache_dir=cache, local_files_only=offline, allow_patterns=MODEL_FILES
        )
    except (LocalEntryNotFoundError, RepositoryNotFoundError, HfHubHTTPError, HFValidationError, OSError, ValueError) as e:
        where = cache or "the default Hugging Face cache"
        how = (
            "HF_HUB_OFFLINE is set, so nothing is downloaded; unset it on a machine with network access to fetch it once"
            if offline
            else f"it could not be downloaded ({type(e).__name__}: {str(e)[:200]})"
        )
        raise ModelSourceError(f"model id {model_id!r} is not in {where} and {how}") from None
    return inside_snapshots(model_id, Path(path), Path(cache or constants.HF_HUB_CACHE))


def inside_snapshots(model_id: str, path: Path, cache: Path) -> Path:
    """``path`` if it is a folder directly inside ``<cache>/models--owner--name/snapshots/`` (links resolved).

    Raises
    ------
    ModelSourceError
        The cache's ref for ``model_id`` points elsewhere (``..``, an absolute path, a link out).
    """
    snapshots = cache / repo_folder_name(repo_id=model_id, repo_type="model") / "snapshots"
    resolved = path.resolve()
    if resolved.parent != snapshots.resolve() or not resolved.is_dir():
        raise ModelSourceError(
            f"model id {model_id!r}: the cache's ref (refs/main) leads to {path}, not to a snapshot folder inside "
            f"{snapshots}; the cache entry is damaged: delete it and fetch the model again"
        )
    return path


def resolve_source(source: str | Path) -> Path:
    """A model folder for ``source``: an existing folder as is, a hub id through the cache.

    Raises
    ------
    ModelSourceError
        ``source`` is neither an existing folder nor an id shaped ``owner/name``
        that the cache or the hub can provide.
    """
    text = str(source)
    if is_model_id(text):
        return resolve_model_id(text)
    return Path(source)
