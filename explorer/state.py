"""The app's one Streamlit helper: model choice, session data, cached results, limits.

Everything a page shares lives here so pages stay thin. The model is cached
with ``st.cache_resource`` (one copy shared by all sessions, never mutated:
inference only reads it). Results are cached per browser session in
``st.session_state`` (:func:`session_cached`), keyed by a hash of the model
name and the input, so a result is only ever returned for the same content
and never to another session; uploaded data lives there too.

Limits are defined in :mod:`dnabert.limits` (environment variables
``DNABERT_MAX_UPLOAD_MB``, ``DNABERT_MAX_SEQUENCES``, ``DNABERT_MAX_LENGTH``). Model folders offered in the
picker are the demo model plus every checkpoint folder directly inside the
directories listed in ``DNABERT_MODEL_DIRS`` (``os.pathsep``-separated,
default ``models/user/`` (git-ignored, where the Models page saves) and ``models/``
in the working directory; the demo model is package data of ``dnabert``), then the
Hugging Face model ids listed in ``DNABERT_MODEL_IDS`` (comma- or
``os.pathsep``-separated; resolved through the Hugging Face cache, see
:mod:`dnabert.loading.hub`): no path or id can be typed in, so no other server folder can
be opened.
"""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

import numpy as np
import streamlit as st

from dnabert.loading.checkpoint import DEMO_MODEL_DIR, LoadedModel, load_model
from dnabert.genome.coordinates import Interval, coordinates_from_ids
from dnabert.errors import InputError
from dnabert.analysis.evidence import evidence
from dnabert.loading.hub import hub_cache_dir, resolve_model_id
from dnabert.analysis.inference import Prediction, predict_modes
from dnabert.limits import check_app_count, check_app_lengths, check_app_upload, upload_bytes
from dnabert.options import ATTENTION_MODES
from dnabert.loading.model_info import require_tokens
from dnabert.training.provenance import training_note
from dnabert.sequences import SequenceSet, parse_sequences, shuffled_negatives
from explorer.model_names import available_models, model_dirs


def _leave_legacy_pages_mode() -> None:
    """Run the app through its own navigation on the server's first run too.

    Streamlit treats a ``pages/`` folder beside the entry script (the card's layout: ``app.py`` and ``pages/``
    at the root) as a legacy multipage app until ``st.navigation`` is first called; on a fresh server the
    first request would then run a page without the app's sidebar. This module is imported by the app and by
    every page, so the first run switches that mode off and starts again through ``explorer.app``.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_legacy_pages_mode()


def model_path(name: str) -> Path:
    """Folder of a model offered in the picker; anything else is refused, and so is a folder with a link leading out.

    A hub id is resolved through the cache (its snapshot's links may lead to the
    cache's blobs of that repository, nowhere else)."""
    models = available_models()
    if name not in models:
        raise InputError(f"model {name!r} is not one of the configured models ({', '.join(models)})")
    source = models[name]
    folder = resolve_model_id(source) if isinstance(source, str) else source
    inside = folder.parent.parent if isinstance(source, str) else folder  # <cache>/models--org--name for a snapshot
    for p in sorted(folder.rglob("*")):
        if p.is_symlink() and not p.resolve().is_relative_to(inside.resolve()):
            raise InputError(
                f"model {name}: {p.relative_to(folder)} is a link to a file outside the model folder; the app does not "
                "read it: replace the link by the file itself"
            )
    return folder


def model_card(name: str) -> str | None:
    """The text of the chosen model's MODEL_CARD.md, if it has one (a link out of the folder is refused by :func:`model_path`)."""
    card = model_path(name) / "MODEL_CARD.md"
    return card.read_text(encoding="utf-8", errors="replace") if card.is_file() else None


def relative_paths(text: str) -> str:
    """``text`` with the configured model directories shown by name only: the app never shows server paths."""
    from huggingface_hub import constants

    cache = Path(hub_cache_dir() or constants.HF_HUB_CACHE)
    text = text.replace(str(cache), "<Hugging Face cache>")
    for root in sorted({*model_dirs(), DEMO_MODEL_DIR.resolve().parent}, key=lambda p: -len(str(p))):
        text = text.replace(str(root), root.name)
    return text


@st.cache_resource(show_spinner="Loading model...")
def _load(path: str) -> LoadedModel:
    lm = load_model(path)
    for p in lm.model.parameters():
        p.requires_grad_(False)
    return lm


def current_model() -> LoadedModel:
    """The model chosen in the sidebar (cached, shared, read-only)."""
    return _load(str(model_path(st.session_state.get("model_name", "demo"))))


def content_hash(*parts) -> str:
    """Stable hash of sequences / parameters, used as a cache key."""
    h = hashlib.sha256()
    for p in parts:
        h.update(repr(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def parse_upload(data: bytes, name: str) -> SequenceSet:
    """Parse uploaded or pasted sequences and enforce the app's limits (also on what a gzip file inflates to)."""
    check_app_upload(len(data), name)
    seqs = parse_sequences(data, name, max_bytes=upload_bytes())
    check_app_count(len(seqs), name)
    check_app_lengths(seqs.ids, seqs.seqs, name)
    return seqs


def positives() -> SequenceSet | None:
    return st.session_state.get("positives")


def coordinates(seqs: SequenceSet) -> list[Interval | None]:
    """Genome coordinates of each sequence, read from its id (``chrom:start-end[(+|-)]``, None where it is not a region).

    The same reading as the command line (:func:`dnabert.genome.coordinates.coordinates_from_ids`); a header region
    whose length is not its sequence's stops the page with that error.
    """
    try:
        return coordinates_from_ids(seqs, "sequences")[0]
    except InputError as e:
        show_error(e)
        st.stop()


def negatives(pos: SequenceSet | None = None) -> tuple[SequenceSet, bool] | None:
    """The negatives and whether they were made by shuffling ``pos`` (default: all positives; None without positives)."""
    pos = pos or positives()
    if pos is None:
        return None
    neg = st.session_state.get("negatives")
    if neg is not None:
        return neg, False
    return SequenceSet(ids=[f"{i}_shuffled" for i in pos.ids], seqs=_shuffled(tuple(pos.seqs))), True


@st.cache_data(show_spinner=False, max_entries=8)
def _shuffled(seqs: tuple[str, ...]) -> list[str]:
    return shuffled_negatives(list(seqs), seed=0)


def require_data() -> SequenceSet:
    """The positives, or stop the page with a pointer to the data page."""
    pos = positives()
    if pos is None:
        st.info("No sequences loaded yet: open **Data** to upload sequences or load the example data.")
        st.stop()
    seen = session_cached(  # its own store: a note never evicts a prediction
        ("in training", st.session_state.get("model_name", "demo"), pos.seqs),
        lambda: training_note(current_model().path, pos.seqs),
        store="_notes",
    )
    if seen:
        st.warning(seen)
    return pos


def run_prediction(seqs: SequenceSet, attention: str | None) -> Prediction:
    """Predictions (and attention) for a sequence set, with a progress bar.

    Cached per browser session by content hash (model, sequences); with
    attention, every mode is computed in the same forward pass, so switching
    the aggregation reads the cache. Without attention the pass also keeps the
    sequence embeddings (:attr:`Prediction.embeddings`), which the Embedding
    map reads. The last few results are kept.
    """
    model_name = st.session_state.get("model_name", "demo")
    require_tokens(seqs, current_model(), "sequences")
    modes = ATTENTION_MODES if attention is not None else ()
    return session_cached(("predict", model_name, seqs.seqs, modes), lambda: _predict_with_bar(seqs.seqs, modes))[attention]


def _predict_with_bar(seqs: list[str], modes: tuple[str, ...]) -> dict[str | None, Prediction]:
    bar = st.progress(0.0, text="Scoring sequences...")
    try:
        return predict_modes(
            current_model(),
            seqs,
            modes,
            batch_size=32,
            progress=lambda d, t: bar.progress(d / t, text=f"Scoring windows {d}/{t}"),
            embeddings=not modes,
        )
    finally:
        bar.empty()


def run_evidence(seqs: SequenceSet, kind: str, attention: str) -> list[np.ndarray]:
    """Per-nucleotide evidence of one kind (:mod:`dnabert.analysis.evidence`; class: the last) for a sequence set, with a
    progress bar; attention comes from :func:`run_prediction`, the other kinds are cached per session."""
    if kind == "attention":
        return run_prediction(seqs, attention).scores
    model_name = st.session_state.get("model_name", "demo")
    require_tokens(seqs, current_model(), "sequences")

    def compute():
        bar = st.progress(0.0, text=f"Computing {kind}...")
        try:
            return evidence(
                current_model(), seqs.seqs, kind, progress=lambda d, t: bar.progress(d / t, text=f"Computing {kind}: {d}/{t}")
            )
        finally:
            bar.empty()

    return session_cached(("evidence", model_name, seqs.seqs, kind), compute)


def session_cached(key_parts: tuple, compute, keep: int = 6, store: str = "_results"):
    """Return ``compute()`` cached in this session under a hash of ``key_parts`` (the last ``keep`` results of ``store``:
    results in ``_results``, figures and per-sequence views in their own store, so they never evict a prediction)."""
    cache: dict = st.session_state.setdefault(store, {})
    key = content_hash(*key_parts)
    if key not in cache:
        while len(cache) >= keep:
            cache.pop(next(iter(cache)))
        cache[key] = compute()
    return cache[key]


def session_figure(key_parts: tuple, build):
    """A figure (or other view) built by ``build()``, kept in this session under the model and ``key_parts`` (plain
    values: ids, sequences, options), so a rerun that does not change it does not rebuild it."""
    return session_cached(("figure", st.session_state.get("model_name", "demo"), *key_parts), build, keep=16, store="_figures")


def rerun_only(*fragments: str):
    """A widget callback that reruns only the named fragments of the page (``@st.fragment(key=...)``), not the whole
    page: for a widget that only those sections depend on; they read its value from ``st.session_state``."""
    return lambda: st.rerun(list(fragments))


def button_result(name: str, key_parts: tuple, run: bool, compute, button: str, prompt: str) -> tuple:
    """The result a page makes when its button is pressed, kept until the next press.

    Stored as ``st.session_state[name] = (hash of key_parts, *compute())``. Without a
    result the page stops with ``prompt``; a result made from other inputs (the
    hash differs) is shown with a warning to press ``button`` again. An
    :class:`InputError` of ``compute`` drops the old result and stops with the error.

    Returns
    -------
    tuple
        What ``compute()`` returned.
    """
    key = content_hash(*key_parts)
    if run:
        try:
            st.session_state[name] = (key, *compute())
        except InputError as e:
            st.session_state.pop(name, None)
            show_error(e)
            st.stop()
    if name not in st.session_state:
        st.info(prompt)
        st.stop()
    stored = st.session_state[name]
    if stored[0] != key:
        st.warning(f"The data or the parameters changed since this result was made: press **{button}** to update it.")
    return stored[1:]


MAP_SELECTION = "map_selection"
"""Session-state key of the points selected on the Embedding map: (:func:`selection_key`, positive indices)."""


def selection_key() -> str:
    """Hash of the model and the loaded data that a selection on the Embedding map belongs to."""
    pos, neg = positives(), st.session_state.get("negatives")
    return content_hash(
        "selection", st.session_state.get("model_name", "demo"), pos.ids, pos.seqs, None if neg is None else (neg.ids, neg.seqs)
    )


def select_on_map(indices: np.ndarray) -> None:
    """Keep the positives selected on the Embedding map (indices into the positives) for the other pages."""
    st.session_state[MAP_SELECTION] = (selection_key(), np.asarray(indices, dtype=np.int64))


def clear_selection() -> None:
    st.session_state.pop(MAP_SELECTION, None)


def map_selection() -> np.ndarray | None:
    """Indices of the positives selected on the Embedding map, or None; a selection made on other data or another
    model is dropped."""
    stored = st.session_state.get(MAP_SELECTION)
    if stored is None or positives() is None:
        return None
    if stored[0] != selection_key():
        clear_selection()
        return None
    return stored[1]


def require_selected_data() -> SequenceSet:
    """:func:`require_data`, narrowed to the sequences selected on the Embedding map when there is a selection
    (said in a banner with a button to clear it)."""
    pos = require_data()
    chosen = map_selection()
    if chosen is None:
        return pos
    text, clear = st.columns([6, 1], vertical_alignment="center")
    text.info(f"Showing {len(chosen)} of {len(pos)} sequences selected on the Embedding map.")
    clear.button("Clear selection", on_click=clear_selection, key="clear_map_selection")
    if not len(chosen):
        st.stop()  # only negatives were selected
    return SequenceSet(
        ids=[pos.ids[i] for i in chosen],
        seqs=[pos.seqs[i] for i in chosen],
        labels=None if pos.labels is None else [pos.labels[i] for i in chosen],
    )


def show_error(e: Exception) -> None:
    """A readable error box (never a traceback)."""
    st.error(relative_paths(str(e)), icon="⚠️")


def cli_command(*args: str) -> None:
    """Show the equivalent command line for batch work."""
    model_name = st.session_state.get("model_name", "demo")
    model = "demo" if model_name == "demo" else model_name  # relative to the configured model folder, never a server path
    st.caption("Same run from the command line, for large inputs:")
    command = "python -m dnabert " + " ".join(shlex.quote(a) for a in (*args[:1], "--model", model, *args[1:]))
    st.code(command, language="bash", wrap_lines=True)


def gc_fraction(seqs: list[str]) -> np.ndarray:
    """GC fraction per sequence over A/C/G/T letters (NaN when a sequence has none)."""
    out = np.full(len(seqs), np.nan)
    for i, s in enumerate(seqs):
        acgt = sum(s.count(b) for b in "ACGT")
        if acgt:
            out[i] = (s.count("G") + s.count("C")) / acgt
    return out


def model_by_name(name: str) -> LoadedModel:
    """A model offered in the picker, by its display name (cached, shared, read-only): for pages that use two models."""
    return _load(str(model_path(name)))
