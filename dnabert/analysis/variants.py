"""Variant effects: in-silico saturation mutagenesis and scoring of sequence edits (DNABERT section 3.5).

Edits
-----
An :class:`Edit` replaces ``seq[start:end]`` (0-based, half-open) by ``alt``:
a substitution when both have the same length, an insertion when
``start == end``, a deletion when ``alt == ""``.

Scores
------
For one class of the fine-tuned model (default: the last, the positive class
of a binary model) with p_wt the wild type's and p_mut the mutant's probability:

* difference score ``(p_mut - p_wt) * max(p_wt, p_mut)``, in [-1, 1];
  negative when the edit lowers p.
* log-odds ratio ``log2 odds(p_wt) - log2 odds(p_mut)``, odds(p) = p / (1 - p);
  positive when the edit lowers p. Both probabilities are clipped to
  [1e-6, 1 - 1e-6] first so that it stays finite: |logOR| <= 39.9.
* with ``both_strands``, p is the mean over the sequence and its reverse
  complement (and the attention track the mean of the forward track and the
  reversed reverse-complement track, L2-normalised again).
* attention change: the Euclidean distance between the wild type's and the
  mutant's per-nucleotide attention tracks (any aggregation, ``last`` by default
  in the CLI and the app; L2-normalised, see :mod:`dnabert.analysis.inference`) over aligned positions: every position for an
  edit that keeps the length; for an indel the unchanged flanks (bases before
  ``start``, and the bases after the edit paired in order, cut to the shorter
  side). 0 means the same attention; the maximum is 2.

Scoring is batched: the edits are cut into chunks, and each chunk is scored by
:func:`dnabert.analysis.inference.predict` together with the wild types not scored yet,
in batches capped at ``TOKENS_PER_BATCH`` padded tokens (long batches are
slower per token on a CPU than short ones). Attention is computed only when asked
for. Each distinct model window is scored once (k-mer models): a long sequence
(several windows, see :mod:`dnabert.analysis.inference`) keeps the logits and raw
attention tracks of its wild-type windows, and a mutant only scores the windows
its edit changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from dnabert.loading.checkpoint import LoadedModel
from dnabert.errors import InputError
from dnabert.analysis.inference import combine_windows, l2_normalize, predict, softmax
from dnabert.limits import check_saturation_length
from dnabert.outputs import atomic_path
from dnabert.sequences import BASES, reverse_complement

LOG_ODDS_EPS = 1e-6
CHUNK = 1024  # mutants per predict call
TOKENS_PER_BATCH = 1024  # padded tokens per forward pass (rows x longest row); more is slower per token on a CPU
TABLE_COLUMNS = ["id", "position", "ref", "alt", "p_wt", "p_mut", "diff", "logOR"]
MAP_ARRAYS = ("p_mut", "diff", "log_or", "attention_wt", "attention_change")  # per-position arrays of a MutationMap


class Edit(NamedTuple):
    """Replace ``seqs[seq][start:end]`` by ``alt`` (0-based, half-open coordinates).

    ``start == end`` is an insertion before ``start``; ``alt == ""`` a deletion.
    """

    seq: int
    start: int
    end: int
    alt: str


def apply_edit(seq: str, edit: Edit) -> str:
    """The mutant sequence: ``seq[:start] + alt + seq[end:]``."""
    return seq[: edit.start] + edit.alt + seq[edit.end :]


def difference_score(p_wt: np.ndarray, p_mut: np.ndarray) -> np.ndarray:
    """``(p_mut - p_wt) * max(p_wt, p_mut)``, elementwise; shapes broadcast."""
    p_wt, p_mut = np.asarray(p_wt, dtype=np.float64), np.asarray(p_mut, dtype=np.float64)
    return (p_mut - p_wt) * np.maximum(p_wt, p_mut)


def log_odds_ratio(p_wt: np.ndarray, p_mut: np.ndarray, eps: float = LOG_ODDS_EPS) -> np.ndarray:
    """``log2 odds(p_wt) - log2 odds(p_mut)`` with both clipped to [eps, 1 - eps]; shapes broadcast."""
    p_wt = np.clip(np.asarray(p_wt, dtype=np.float64), eps, 1 - eps)
    p_mut = np.clip(np.asarray(p_mut, dtype=np.float64), eps, 1 - eps)
    return np.log2(p_wt / (1 - p_wt)) - np.log2(p_mut / (1 - p_mut))


def resolve_class(labels: list[str], choice: str | int | None = None) -> int:
    """Index of the class to score: None -> the last; a label name; or an index (int or digits).

    Raises
    ------
    InputError
        When ``choice`` is neither a label nor a valid index.
    """
    if choice is None:
        return len(labels) - 1
    if isinstance(choice, str) and choice in labels:
        return labels.index(choice)
    if isinstance(choice, int) or (choice.isascii() and choice.lstrip("-").isdigit()):
        index = int(choice)
        if -len(labels) <= index < len(labels):
            return index % len(labels)
    raise InputError(
        f"class {choice!r} is neither a class name nor an index of this model; its classes are {labels} "
        f"(index 0..{len(labels) - 1})"
    )


def attention_change(track_wt: np.ndarray, track_mut: np.ndarray, edit: Edit) -> float:
    """Euclidean distance between two per-nucleotide attention tracks over aligned positions.

    Parameters
    ----------
    track_wt : np.ndarray, shape (L,)
    track_mut : np.ndarray, shape (L',)
        L' = L - (end - start) + len(alt), or less when the mutant was cropped.
    edit : Edit
        The edit that turned the wild type into the mutant.

    Returns
    -------
    float
        See the module docstring for the alignment; 0 for identical tracks.
    """
    if len(edit.alt) == edit.end - edit.start:
        n = min(len(track_wt), len(track_mut))
        return float(np.linalg.norm(track_wt[:n] - track_mut[:n]))
    after = edit.start + len(edit.alt)
    n = max(min(len(track_wt) - edit.end, len(track_mut) - after), 0)
    wt = np.concatenate([track_wt[: edit.start], track_wt[edit.end : edit.end + n]])
    mut = np.concatenate([track_mut[: edit.start], track_mut[after : after + n]])
    return float(np.linalg.norm(wt - mut))


@dataclass
class EditScores:
    """Scores of n edits for one class.

    Attributes
    ----------
    p_wt, p_mut : np.ndarray, shape (n,), float64
        Class probability of each edit's wild type and mutant.
    attention_change : np.ndarray, shape (n,), float64, or None
        See :func:`attention_change`; None when attention was not requested.
    attention_wt : dict[int, np.ndarray] or None
        Per-nucleotide attention track (L,) of every wild-type sequence scored,
        by sequence index; None when attention was not requested.
    """

    p_wt: np.ndarray
    p_mut: np.ndarray
    attention_change: np.ndarray | None = None
    attention_wt: dict[int, np.ndarray] | None = None

    @property
    def diff(self) -> np.ndarray:
        return difference_score(self.p_wt, self.p_mut)

    @property
    def log_or(self) -> np.ndarray:
        return log_odds_ratio(self.p_wt, self.p_mut)


def _window_outputs(
    lm: LoadedModel, seqs: list[str], attention: str | None, known: dict[str, tuple], batch_size: int
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """Class probabilities (n, C) and attention tracks (or None) as :func:`~dnabert.analysis.inference.predict`
    computes them (mean window logits, windows' raw tracks averaged where they overlap, then
    L2-normalised), scoring only the model windows not in ``known``.

    ``known`` maps a window's text to its logits (C,) and raw track (or None), for one ``attention``
    mode, and is extended with the windows scored here.
    """
    if not lm.tokenizer.separable_windows:  # token windows depend on the whole sequence (BPE, 6-mers): score it whole
        pred = predict(lm, seqs, batch_size, attention=attention, max_tokens=TOKENS_PER_BATCH)
        return pred.probs.astype(np.float64), pred.scores
    cut = [lm.tokenizer.window_texts(s) for s in seqs]  # first base and text of each model window
    starts, texts = [c[0] for c in cut], [c[1] for c in cut]
    new = list(dict.fromkeys(t for row in texts for t in row if t not in known))
    if new:
        pred = predict(lm, new, batch_size, attention=attention, max_tokens=TOKENS_PER_BATCH, normalize=False)
        known.update(zip(new, zip(pred.logits, pred.scores or [None] * len(new))))
    probs = softmax(np.array([np.mean([known[t][0] for t in row], axis=0, dtype=np.float64) for row in texts]))
    if attention is None:
        return probs, None
    windows = [(i, int(st), t) for i, row in enumerate(texts) for st, t in zip(starts[i], row)]
    tracks = combine_windows(
        seqs,
        segments=[(i, st, len(t)) for i, st, t in windows],
        bounds=[(st, st + len(t)) for _, st, t in windows],  # bases [start, end) of each window
        seg_logits=np.array([known[t][0] for _, _, t in windows]),
        seg_scores=[known[t][1] for _, _, t in windows],
    ).scores
    return probs, tracks


def _class_probs(
    lm: LoadedModel,
    seqs: list[str],
    class_index: int,
    attention: str | None,
    both_strands: bool,
    batch_size: int,
    known: dict[str, tuple],
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """p (n,) of one class and the attention tracks (or None), strands averaged if asked.

    The windows in ``known`` are reused (see :func:`_window_outputs`).
    """
    if not seqs:
        return np.zeros(0), []
    batch = seqs + [reverse_complement(s) for s in seqs] if both_strands else seqs
    probs, tracks = _window_outputs(lm, batch, attention, known, batch_size)
    p = probs[:, class_index]
    if both_strands:
        n = len(seqs)
        p = (p[:n] + p[n:]) / 2
        if tracks is not None:
            tracks = [l2_normalize((fwd + rev[::-1]) / 2) for fwd, rev in zip(tracks[:n], tracks[n:])]
    return p, tracks


def score_edits(
    lm: LoadedModel,
    seqs: list[str],
    edits: list[Edit],
    class_index: int = -1,
    attention: str | None = None,
    both_strands: bool = False,
    width: int | None = None,
    batch_size: int = 32,
    chunk: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> EditScores:
    """Score edits of sequences: each wild type once, the mutants in chunks.

    Parameters
    ----------
    lm : LoadedModel
        A fine-tuned classifier.
    seqs : list of str
        Wild-type sequences (validated, upper case), indexed by ``Edit.seq``.
    edits : list of Edit
        n edits; the caller has checked their coordinates and alleles.
    class_index : int
        Class whose probability is scored (see :func:`resolve_class`).
    attention : {"last", "mean", "rollout"} or None
        Also compute the attention change of every edit, with this aggregation
        (:data:`dnabert.options.ATTENTION_MODES`); None skips attention.
    both_strands : bool
        Average each probability (and track) over both strands.
    width : int or None
        Crop every wild type and mutant to its first ``width`` bases (used for
        genome windows that carry extra right flank for deletions).
    batch_size : int
        At most this many model windows per forward pass (and at most
        ``TOKENS_PER_BATCH`` padded tokens).
    chunk : int
        Edits per :func:`~dnabert.analysis.inference.predict` call.
    progress : callable or None
        Called as ``progress(edits_done, n)`` after each chunk.

    Returns
    -------
    EditScores
    """
    n = len(edits)
    p_seq: dict[int, float] = {}
    tracks_wt: dict[int, np.ndarray] = {}
    p_mut = np.zeros(n)
    change = np.zeros(n) if attention else None
    windows_wt: dict[str, tuple] = {}  # window text -> (logits, raw track), of the wild types scored so far
    for lo in range(0, n, chunk):
        part = edits[lo : lo + chunk]
        new = sorted({e.seq for e in part} - p_seq.keys())
        mutants = [apply_edit(seqs[e.seq], e)[:width] for e in part]
        p, tracks_new = _class_probs(
            lm, [seqs[i][:width] for i in new], class_index, attention, both_strands, batch_size, windows_wt
        )
        p_seq.update(zip(new, p))
        p_mut[lo : lo + len(part)], tracks = _class_probs(
            lm, mutants, class_index, attention, both_strands, batch_size, dict(windows_wt)
        )
        if attention:
            tracks_wt.update(zip(new, tracks_new))
            for j, (e, track) in enumerate(zip(part, tracks)):
                change[lo + j] = attention_change(tracks_wt[e.seq], track, e)
        if progress is not None:
            progress(lo + len(part), n)
    return EditScores(
        p_wt=np.array([p_seq[e.seq] for e in edits], dtype=np.float64),
        p_mut=p_mut,
        attention_change=change,
        attention_wt=tracks_wt if attention else None,
    )


def saturation_edits(seq: str, seq_index: int = 0) -> list[Edit]:
    """Every single-base substitution of ``seq``, position by position, alternatives in ACGT order.

    3 per position whose base is A, C, G or T; 4 where it is N or another IUPAC code.
    """
    return [Edit(seq_index, i, i + 1, b) for i, ref in enumerate(seq) for b in BASES if b != ref]


@dataclass
class MutationMap:
    """Saturation mutagenesis of one sequence of length L (columns in ACGT order).

    Attributes
    ----------
    id, seq : str
    label : str
        Name of the class scored.
    p_wt : float
    p_mut, diff, log_or : np.ndarray, shape (L, 4), float64
        Per position and alternative base; NaN at the reference base.
    attention_wt : np.ndarray, shape (L,), or None
        The wild type's per-nucleotide attention track (when requested).
    attention_change : np.ndarray, shape (L, 4), or None
        :func:`attention_change` of each mutant; NaN at the reference base.
    """

    id: str
    seq: str
    label: str
    p_wt: float
    p_mut: np.ndarray
    diff: np.ndarray
    log_or: np.ndarray
    attention_wt: np.ndarray | None = None
    attention_change: np.ndarray | None = None


def mutation_map(
    lm: LoadedModel,
    seq: str,
    seq_id: str = "seq",
    class_index: int = -1,
    attention: str | None = None,
    both_strands: bool = False,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> MutationMap:
    """Saturation mutagenesis: score every position x every alternative base of ``seq``.

    Parameters are those of :func:`score_edits`; ``seq`` is one validated
    sequence, at most :data:`dnabert.limits.MAX_SATURATION_LENGTH` bp (else
    :class:`InputError`). Returns a :class:`MutationMap`.
    """
    check_saturation_length(len(seq), seq_id)
    edits = saturation_edits(seq)
    scores = score_edits(lm, [seq], edits, class_index, attention, both_strands, batch_size=batch_size, progress=progress)
    rows = np.array([e.start for e in edits], dtype=np.int64)
    cols = np.array([BASES.index(e.alt) for e in edits], dtype=np.int64)

    def grid(values: np.ndarray) -> np.ndarray:
        out = np.full((len(seq), 4), np.nan)
        out[rows, cols] = values
        return out

    return MutationMap(
        id=seq_id,
        seq=seq,
        label=lm.labels[class_index],
        p_wt=float(scores.p_wt[0]),
        p_mut=grid(scores.p_mut),
        diff=grid(scores.diff),
        log_or=grid(scores.log_or),
        attention_wt=scores.attention_wt[0] if attention else None,
        attention_change=grid(scores.attention_change) if attention else None,
    )


def sort_by_effect(table: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by |diff|, largest first (ties keep their order)."""
    return table.sort_values("diff", key=np.abs, ascending=False, kind="stable").reset_index(drop=True)


def variant_table(
    ids: list[str],
    positions: np.ndarray,
    refs: list[str],
    alts: list[str],
    scores: EditScores,
    chroms: list[str] | None = None,
    extra: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per edit: id, [chrom,] position (0-based), ref, alt, p_wt, p_mut, diff, logOR[, attn_change][, extra].

    ``chroms`` (genome variants) adds the contig column after ``id``; ``extra``
    (one row per edit, in edit order, e.g. the motif sites an edit creates or
    destroys, :mod:`motif.variant_motifs`) adds its columns last. Empty
    alleles (the ref of an insertion, the alt of a deletion) are written
    ``-``. Rows are sorted by |diff| (:func:`sort_by_effect`).
    """
    table = pd.DataFrame(
        {
            "id": ids,
            "position": np.asarray(positions, dtype=np.int64),
            "ref": [r or "-" for r in refs],
            "alt": [a or "-" for a in alts],
            "p_wt": scores.p_wt,
            "p_mut": scores.p_mut,
            "diff": scores.diff,
            "logOR": scores.log_or,
        },
        columns=TABLE_COLUMNS,
    )
    if chroms is not None:
        table.insert(1, "chrom", chroms)
    if scores.attention_change is not None:
        table["attn_change"] = scores.attention_change
    if extra is not None:
        table = pd.concat([table, extra.reset_index(drop=True)], axis=1)
    return sort_by_effect(table)


def edit_table(
    ids: list[str], seqs: list[str], edits: list[Edit], scores: EditScores, extra: pd.DataFrame | None = None
) -> pd.DataFrame:
    """:func:`variant_table` of edits of the sequences ``seqs`` (named ``ids``): ref read from the sequence."""
    refs = [seqs[e.seq][e.start : e.end] for e in edits]
    positions = np.array([e.start for e in edits])
    return variant_table([ids[e.seq] for e in edits], positions, refs, [e.alt for e in edits], scores, extra=extra)


def mutation_map_table(mm: MutationMap) -> pd.DataFrame:
    """The long table of a mutation map: one row per mutant (see :func:`variant_table`)."""
    pos, col = np.nonzero(~np.isnan(mm.p_mut))
    scores = EditScores(
        p_wt=np.full(len(pos), mm.p_wt),
        p_mut=mm.p_mut[pos, col],
        attention_change=None if mm.attention_change is None else mm.attention_change[pos, col],
    )
    return variant_table([mm.id] * len(pos), pos, [mm.seq[i] for i in pos], [BASES[c] for c in col], scores)


def mutation_map_arrays(maps: list[MutationMap]) -> dict[str, np.ndarray]:
    """Mutation maps as arrays: ids, seqs, label, p_wt (n,), lengths (n,) and the (sum L, 4)
    matrices p_mut, diff, log_or (sequences concatenated in order), plus attention_wt (sum L,)
    and attention_change (sum L, 4) when present. :func:`mutation_maps_from_arrays` reverses it."""
    arrays = {
        "ids": np.array([m.id for m in maps]),
        "seqs": np.array([m.seq for m in maps]),
        "label": np.array(maps[0].label),
        "p_wt": np.array([m.p_wt for m in maps]),
        "lengths": np.array([len(m.seq) for m in maps], dtype=np.int64),
    }
    for name in MAP_ARRAYS:
        if getattr(maps[0], name) is not None:
            arrays[name] = np.concatenate([getattr(m, name) for m in maps])
    return arrays


def mutation_maps_from_arrays(arrays) -> list[MutationMap]:
    """The maps of :func:`mutation_map_arrays` (``arrays``: a dict or an open NPZ)."""
    cuts = np.cumsum(arrays["lengths"])[:-1]
    parts = {name: np.split(arrays[name], cuts) for name in MAP_ARRAYS if name in arrays}
    return [
        MutationMap(
            id=str(rid),
            seq=str(seq),
            label=str(arrays["label"]),
            p_wt=float(p_wt),
            **{name: parts[name][i] if name in parts else None for name in MAP_ARRAYS},
        )
        for i, (rid, seq, p_wt) in enumerate(zip(arrays["ids"], arrays["seqs"], arrays["p_wt"]))
    ]


def save_mutation_maps(path: str | Path, maps: list[MutationMap]) -> None:
    """Write mutation maps to one NPZ (the arrays of :func:`mutation_map_arrays`)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **mutation_map_arrays(maps))


def read_variant_list(path: str | Path | bytes, ids: list[str], seqs: list[str], name: str | None = None) -> list[Edit]:
    """Read a variant list: tab-separated sequence id, start, end, alt (0-based, half-open).

    ``path`` is a file, or the list's contents as bytes (an upload: read from
    memory, named ``name`` in messages).

    An optional header line ``id start end alt`` and ``#`` comment lines are
    skipped. ``start == end`` is an insertion; an empty (or ``-``) alt a
    deletion; letters are upper-cased.

    Returns
    -------
    list of Edit
        ``Edit.seq`` indexes ``ids`` / ``seqs``.

    Raises
    ------
    InputError
        Unreadable or empty file, a line without 4 columns, an unknown id,
        coordinates outside the sequence, non-ACGT alt letters, or an edit that
        changes nothing; the message names the line.
    """
    p = name or ("variant list" if isinstance(path, bytes) else Path(path))
    try:
        lines = (path if isinstance(path, bytes) else Path(path).read_bytes()).decode("utf-8-sig").splitlines()
    except FileNotFoundError:
        raise InputError(f"{p}: no such file.") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{p}: not UTF-8 text (byte {e.start}); expected a tab-separated variant list.") from None
    index = {rid: i for i, rid in enumerate(ids)}
    edits = []
    for lineno, line in enumerate(lines, start=1):
        fields = line.split("\t")
        if (
            not line.strip()
            or line.startswith("#")
            or (not edits and [f.strip().lower() for f in fields] == ["id", "start", "end", "alt"])
        ):
            continue
        where = f"{p} line {lineno}"
        if len(fields) != 4:
            raise InputError(
                f"{where}: {len(fields)} tab-separated column(s); expected 4: sequence id, start, end, alt (write '-' "
                "as the alt of a deletion)."
            )
        rid, start, end, alt = (f.strip() for f in fields)
        if rid not in index:
            raise InputError(f"{where}: sequence id '{rid}' is not in the input sequences (first ids: {', '.join(ids[:5])}).")
        if not (start.isascii() and end.isascii() and start.isdigit() and end.isdigit()):
            raise InputError(f"{where}: start {start!r} and end {end!r} must be non-negative integers (0-based, half-open).")
        seq = seqs[index[rid]]
        s, e = int(start), int(end)
        if not s <= e <= len(seq):
            raise InputError(
                f"{where}: interval [{s}, {e}) is not inside sequence '{rid}' of length {len(seq)}; need 0 <= start "
                "<= end <= length (0-based, half-open)."
            )
        typed, alt = alt, "" if alt == "-" else alt.upper()
        if not typed.isascii() or not set(alt) <= set(BASES):
            raise InputError(f"{where}: alt {typed!r} has letters other than A, C, G, T; only sequence alleles can be scored.")
        if alt == seq[s:e]:
            raise InputError(
                f"{where}: alt {alt or '-'!r} equals the sequence at [{s}, {e}), so the edit changes nothing (are the "
                "coordinates 1-based? they must be 0-based)."
            )
        edits.append(Edit(index[rid], s, e, alt))
    if not edits:
        raise InputError(f"{p}: the variant list is empty; give lines of sequence id, start, end, alt separated by tabs.")
    return edits
