"""Per-nucleotide evidence of what a classifier reads: attention, attribution, in-silico mutagenesis.

One contract for the three kinds (:data:`dnabert.options.EVIDENCE_KINDS`): a
function takes a model and n sequences and returns n float64 arrays, array i
of length ``len(seqs[i])`` (one value per base, 0-based), higher = more
evidence. Motif discovery (``dnabert motifs --evidence``) and deletion curves
(:mod:`dnabert.analysis.faithfulness`) take any of them.

* ``attention``: the [CLS] attention track of :func:`dnabert.analysis.inference.predict`
  (aggregation ``last``, ``mean`` or ``rollout``; L2-normalised per sequence).
* ``attribution``: integrated gradients of one class logit on the token
  embeddings (:func:`dnabert.analysis.attribution.attribution_track`, ``steps`` path
  points), mapped to bases through each family's token spans as attention is
  (:func:`dnabert.analysis.token_tracks.tokens_to_nucleotide`). Signed: positive = for
  the class. A sequence longer than one model window is attributed window by
  window (the windows of :func:`dnabert.analysis.inference.window_starts` over its
  tokens, each re-tokenised as a sequence of its own), overlapping bases
  averaged.
* ``ism``: saturation mutagenesis (every base to every other base, scored in
  batches as ``dnabert mutate`` does: :func:`dnabert.analysis.variants.score_edits`);
  a base's value is the largest ``|log2 odds(p_wt) - log2 odds(p_mut)|`` of
  the class over its substitutions (log2 odds: the probabilities of a
  confident classifier move little while their odds still do). Non-negative.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dnabert.analysis.attribution import attribution_track
from dnabert.loading.checkpoint import LoadedModel
from dnabert.errors import InputError
from dnabert.analysis.inference import predict, window_starts
from dnabert.limits import check_saturation_length
from dnabert.options import ATTENTION_MODES, EVIDENCE_KINDS, IG_STEPS
from dnabert.analysis.variants import saturation_edits, score_edits

RETOKENISE_MARGIN = 8  # tokens a window keeps free when a re-tokenised slice may take a few more (not separable)


def attention_evidence(
    lm: LoadedModel, seqs: list[str], mode: str = ATTENTION_MODES[0], batch_size: int = 32, progress: Callable | None = None
) -> list[np.ndarray]:
    """[CLS] attention per base (:func:`dnabert.analysis.inference.predict`).

    Parameters
    ----------
    lm : LoadedModel
    seqs : list of str
        n validated sequences.
    mode : {"last", "mean", "rollout"}
    batch_size : int
        Model windows per forward pass.
    progress : callable, optional
        ``progress(done, total)`` over the model windows, after each batch.

    Returns
    -------
    list of np.ndarray
        n float64 arrays of shape (L_i,), each L2-normalised.
    """
    return [t.astype(np.float64) for t in predict(lm, seqs, batch_size, attention=mode, progress=progress or False).scores]


def _window_pieces(lm: LoadedModel, seq: str) -> list[tuple[int, int]]:
    """Bases [start, end) of the model windows a sequence is attributed in (one for a sequence that fits)."""
    _, spans = lm.tokenizer.tokenize(seq)
    w = lm.window if lm.tokenizer.separable_windows else lm.window - RETOKENISE_MARGIN
    if len(spans) <= lm.window:
        return [(0, len(seq))]
    return [(int(spans[st, 0]), int(spans[min(st + w, len(spans)) - 1, 1])) for st in window_starts(len(spans), w)]


def attribution_evidence(
    lm: LoadedModel,
    seqs: list[str],
    class_index: int = -1,
    steps: int = IG_STEPS,
    batch_size: int = IG_STEPS,
    progress: Callable | None = None,
) -> list[np.ndarray]:
    """Integrated gradients of the class logit per base (module docstring).

    Parameters
    ----------
    lm : LoadedModel
    seqs : list of str
        n validated sequences, each giving at least one token.
    class_index : int
        Class whose logit is attributed (negative counts from the end: -1 = the last, the positive class).
    steps : int
        Path points of the integral.
    batch_size : int
        Path points per forward pass.
    progress : callable, optional
        ``progress(done, n)`` after each sequence.

    Returns
    -------
    list of np.ndarray
        n float64 arrays of shape (L_i,), signed.
    """
    target = class_index % lm.model.config.num_labels
    out: list[np.ndarray] = []
    for i, seq in enumerate(seqs):
        lm.tokenizer.check_length(seq, f"sequence {i + 1}")
        sums, cover = np.zeros(len(seq)), np.zeros(len(seq))
        for start, end in _window_pieces(lm, seq):
            sums[start:end] += attribution_track(lm, seq[start:end], target=target, steps=steps, batch_size=batch_size).track
            cover[start:end] += 1
        out.append(sums / np.maximum(cover, 1))
        if progress is not None:
            progress(i + 1, len(seqs))
    return out


def ism_evidence(
    lm: LoadedModel, seqs: list[str], class_index: int = -1, batch_size: int = 32, progress: Callable | None = None
) -> list[np.ndarray]:
    """In-silico mutagenesis magnitude per base (module docstring).

    Parameters
    ----------
    lm : LoadedModel
    seqs : list of str
        n validated sequences, each at most :data:`dnabert.limits.MAX_SATURATION_LENGTH` bp.
    class_index : int
        Class whose probability is followed (negative counts from the end).
    batch_size : int
        Model windows per forward pass (mutants of all sequences are batched together).
    progress : callable, optional
        ``progress(mutants_done, n_mutants)``.

    Returns
    -------
    list of np.ndarray
        n float64 arrays of shape (L_i,): per base, max over its substitutions of
        ``|log2 odds(p_wt) - log2 odds(p_mut)|`` (:func:`dnabert.analysis.variants.log_odds_ratio`).
    """
    for i, seq in enumerate(seqs):
        check_saturation_length(len(seq), f"sequence {i + 1}")
    edits = [e for i, seq in enumerate(seqs) for e in saturation_edits(seq, i)]
    scores = score_edits(lm, seqs, edits, class_index % lm.model.config.num_labels, batch_size=batch_size, progress=progress)
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in seqs])])  # first base of each sequence in the flat array
    flat = np.zeros(offsets[-1])
    np.maximum.at(
        flat, offsets[[e.seq for e in edits]] + np.array([e.start for e in edits], dtype=np.int64), np.abs(scores.log_or)
    )
    return np.split(flat, offsets[1:-1])


def evidence(
    lm: LoadedModel,
    seqs: list[str],
    kind: str,
    attention: str = ATTENTION_MODES[0],
    class_index: int = -1,
    batch_size: int = 32,
    progress: Callable | None = None,
) -> list[np.ndarray]:
    """The evidence of one ``kind`` (:data:`dnabert.options.EVIDENCE_KINDS`) for every sequence: n arrays (L_i,).

    ``attention`` is the aggregation of the attention kind; ``class_index`` the
    class of the other two; ``batch_size`` is passed to the attention and ISM passes.
    """
    if kind == "attention":
        return attention_evidence(lm, seqs, attention, batch_size, progress)
    if kind == "attribution":
        return attribution_evidence(lm, seqs, class_index, progress=progress)
    if kind == "ism":
        return ism_evidence(lm, seqs, class_index, batch_size, progress)
    raise InputError(f"evidence must be one of {', '.join(EVIDENCE_KINDS)}, got {kind!r}")
