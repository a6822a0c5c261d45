"""Labelled sequence tables for training: reading, class names, label ids, length checks, dev splits.

Input tables (:func:`read_labeled`): TSV or CSV with a ``sequence`` column and a
``label`` column (names case-insensitive; the original DNABERT ``train.tsv`` /
``dev.tsv`` files with space-separated k-mer sentences also load: a sentence
is turned back into its sequence). Labels are class names (strings); the
classes are those of the training set, sorted (numerically when all are
integers), so ``0, 1`` and ``negative, positive`` both work. Binary and
multi-class (e.g. 3-class splice sites).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dnabert.errors import InputError
from dnabert.families.kmer import from_kmer_sentence, is_kmer_sentence
from dnabert.sequences import SequenceError, SequenceSet, normalize_sequence


@dataclass
class LabeledData:
    """Sequences with class names, as read from a table.

    Attributes
    ----------
    seqs : list of str
        Validated upper-case sequences.
    labels : list of str
        Class name per sequence.
    ids : list of str
        An ``id`` column when the table has one, else ``row<N>`` (1-based data row).
    name : str
        Source, for messages.
    """

    seqs: list[str]
    labels: list[str]
    ids: list[str]
    name: str = "data"

    def __len__(self) -> int:
        return len(self.seqs)


def read_labeled(path: str | Path | None = None, text: str | bytes | None = None, name: str | None = None) -> LabeledData:
    """Read a labelled table (TSV / CSV, optionally the original k-mer sentence format).

    Parameters
    ----------
    path : str or Path, optional
        The file; or give ``text`` (its contents) instead.
    name : str, optional
        Name used in messages (default: the path).

    Raises
    ------
    InputError
        Missing file, no ``sequence`` / ``label`` column, an empty sequence or
        label (names the 1-based data row), an invalid character, no rows.
    """
    if path is not None:
        p = Path(path)
        name = name or str(p)
        if not p.is_file():
            raise InputError(f"{p}: no such file")
        text = p.read_bytes()
    name = name or "data"
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{name}: not UTF-8 text; expected a TSV/CSV table with 'sequence' and 'label' columns") from None
    if not text or not text.strip():
        raise InputError(f"{name}: empty file; expected a TSV/CSV table with 'sequence' and 'label' columns")
    first = text.lstrip().split("\n", 1)[0]
    sep = "\t" if "\t" in first else ","
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=True)
    except (pd.errors.ParserError, ValueError) as e:
        raise InputError(f"{name}: cannot be read as a table ({e})") from None
    if not isinstance(df.index, pd.RangeIndex):  # pandas made the extra leading fields an index
        raise InputError(f"{name}: data row 1 has more fields than the header line; check the separator and quoting")
    cols = {c.strip().lower(): c for c in df.columns}
    missing = [c for c in ("sequence", "label") if c not in cols]
    if missing:
        raise InputError(
            f"{name}: missing column(s) {', '.join(missing)}; the first line must be a header with 'sequence' and 'label' "
            f"(found: {', '.join(map(str, df.columns)) or 'none'})"
        )
    if len(df) == 0:
        raise InputError(f"{name}: the table has a header but no rows")
    seq_col, lab_col = df[cols["sequence"]], df[cols["label"]]
    id_col = df[cols["id"]] if "id" in cols else None
    seqs, labels, ids = [], [], []
    for r, (s, lab) in enumerate(zip(seq_col, lab_col), start=1):
        s, lab = str(s).strip(), str(lab).strip()
        where = f"{name}: data row {r}"
        if not s:
            raise InputError(f"{where} has an empty sequence; remove the row or fill it in")
        if not lab:
            raise InputError(f"{where} has an empty label; every row needs a class label")
        try:
            seq = from_kmer_sentence(s) if " " in s and is_kmer_sentence(s) else normalize_sequence(s, f"data row {r}")
        except SequenceError as e:
            raise InputError(f"{name}: {e}") from None
        seqs.append(seq)
        labels.append(lab)
        ids.append(str(id_col.iloc[r - 1]) if id_col is not None and str(id_col.iloc[r - 1]).strip() else f"row{r}")
    return LabeledData(seqs=seqs, labels=labels, ids=ids, name=name)


def class_names(labels: list[str]) -> list[str]:
    """Sorted distinct class names (numerically when all are integers)."""
    distinct = set(labels)
    try:
        return sorted(distinct, key=lambda x: int(x))
    except ValueError:
        return sorted(distinct)


def split_labels(data: SequenceSet) -> tuple[SequenceSet, SequenceSet | None]:
    """Split a labelled SequenceSet into positives (the last class of :func:`class_names`: ``1``,
    ``positive``) and negatives (every other class); negatives are None with a single class."""
    classes = class_names(data.labels)
    if len(classes) < 2:
        return data, None
    positive = classes[-1]

    def part(keep: bool, note: str) -> SequenceSet:
        rows = [i for i, lab in enumerate(data.labels) if (lab == positive) == keep]
        return SequenceSet(
            ids=[data.ids[i] for i in rows],
            seqs=[data.seqs[i] for i in rows],
            notes=[*data.notes, note],
            labels=[data.labels[i] for i in rows],
        )

    others = ", ".join(repr(c) for c in classes[:-1])
    note = f"label {positive!r} read as positives, label(s) {others} as negatives"
    return part(True, note), part(False, note)


def label_ids(data: LabeledData, classes: list[str]) -> np.ndarray:
    """Class index per row; a label not in ``classes`` is an error naming the row."""
    index = {c: i for i, c in enumerate(classes)}
    out = np.empty(len(data), dtype=np.int64)
    for r, lab in enumerate(data.labels):
        if lab not in index:
            raise InputError(
                f"{data.name}: data row {r + 1} has label {lab!r}, which is not a class of the training set "
                f"({', '.join(classes)})"
            )
        out[r] = index[lab]
    return out


def check_lengths(data: LabeledData, k: int, window: int) -> None:
    """Every sequence must have 1..``window`` k-mers (the model window); the error names the row."""
    for r, s in enumerate(data.seqs, start=1):
        n = len(s) - k + 1
        if n < 1:
            raise InputError(f"{data.name}: data row {r} ({data.ids[r - 1]}) has length {len(s)}, shorter than k={k}")
        if n > window:
            raise InputError(
                f"{data.name}: data row {r} ({data.ids[r - 1]}) has length {len(s)} bp = {n} {k}-mers, more than the "
                f"model window of {window} k-mers (at most {window + k - 1} bp); split long sequences into windows "
                "(e.g. with `dnabert scan` logic) before fine-tuning"
            )


def stratified_split(train: LabeledData, y: np.ndarray, fraction: float, seed: int, role: str = "dev", of: int | None = None):
    """Hold out a stratified, seeded ``fraction`` of ``train`` as the ``role`` ("dev" or "test") set.

    ``of`` is the row count the fraction is of (default ``len(train)``; the
    dev share after a test split is a share of the whole table). Returns
    (train, held, y_train, y_held, note); held is None (and the note says so)
    when some class has fewer than 2 rows or the held-out share would hold
    fewer rows than there are classes.
    """
    from sklearn.model_selection import train_test_split

    counts = np.bincount(y)
    n_held = int(round(fraction * (of or len(y))))
    if counts[counts > 0].min() < 2 or n_held < len(counts) or len(y) - n_held < len(counts):
        after = "trained without a dev set (last step kept)" if role == "dev" else "no test split: the comparison with the baseline is not made"
        return train, None, y, None, f"no {role} set given and {train.name} is too small for a stratified {fraction:.0%} {role} split: {after}"
    idx_train, idx_held = train_test_split(np.arange(len(y)), test_size=n_held, stratify=y, random_state=seed)
    idx_train, idx_held = np.sort(idx_train), np.sort(idx_held)

    def take(idx, name):
        return LabeledData([train.seqs[i] for i in idx], [train.labels[i] for i in idx], [train.ids[i] for i in idx], name)

    note = f"no {role} set given: held out a stratified {len(idx_held)} of {len(y)} training rows (seed {seed}) as {role}"
    return take(idx_train, train.name), take(idx_held, f"{train.name} ({role} split)"), y[idx_train], y[idx_held], note


def hold_out(train: LabeledData, classes: list[str], dev: LabeledData | None, test: LabeledData | None,
             dev_fraction: float, test_fraction: float, seed: int):  # fmt: skip
    """Dev and test sets: the given ones, else stratified, seeded shares of ``train`` (test first, then dev).

    Returns (train, dev, test, notes); dev / test are None when not given and
    their fraction is 0 or the table is too small (a note says so). The notes
    state the sizes held out.
    """
    y = label_ids(train, classes)
    n_all, notes = len(train), []
    if test is None and test_fraction > 0:
        train, test, y, _, note = stratified_split(train, y, test_fraction, seed, "test")
        notes.append(note)
    if dev is None and dev_fraction > 0:
        train, dev, y, _, note = stratified_split(train, y, dev_fraction, seed, "dev", of=n_all)
        notes.append(note)
    return train, dev, test, notes


def renamed(data: LabeledData | None, names: dict[str, str]) -> LabeledData | None:
    """``data`` with its labels renamed by ``names`` (labels not in it kept)."""
    if data is None:
        return None
    return LabeledData(data.seqs, [names.get(lab, lab) for lab in data.labels], data.ids, data.name)
