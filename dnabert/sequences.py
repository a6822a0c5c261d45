"""Reading, validating and transforming DNA sequences.

Input formats: FASTA / multi-FASTA (plain or gzipped, parsed with Biopython),
plain text with one sequence per line, and the original DNABERT data format
(:data:`TABLE_FORMAT`: a header line naming ``sequence`` and ``label``, then one
sequence, raw or as a k-mer sentence, and its label per line; read by
:func:`dnabert.training.tables.read_labeled`, labels kept). Every problem is reported with the
record id, the 0-based position and the offending character; nothing is
dropped silently.

Normalisations (documented and tested): lowercase (soft-masked) letters are
upper-cased, ``U`` is read as ``T``, Windows line endings and a UTF-8 byte
order mark are accepted, duplicate ids are made unique (``id``, ``id_2``, ...)
and reported, missing ids become ``seq<N>`` (1-based record number).
IUPAC ambiguity codes (N, R, Y, ...) are kept; the tokenizer maps every k-mer
containing one to ``[UNK]``.
"""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from Bio.SeqIO.FastaIO import SimpleFastaParser

from dnabert.errors import InputError
from dnabert.limits import input_bytes

BASES = "ACGT"
"""The four bases in the order of every per-base matrix in this project: a matrix over bases is
(4, W) with rows A, C, G, T (the JASPAR / MEME order); per-position tables such as mutation maps
are (L, 4) with columns in this order."""
IUPAC = "ACGTNRYSWKMBDHV"
_COMPLEMENT = str.maketrans("ACGTNRYSWKMBDHVacgtnryswkmbdhv", "TGCANYRSWMKVHDBtgcanyrswmkvhdb")
_INVALID = re.compile(f"[^{IUPAC}{IUPAC.lower()}Uu]")  # checked as typed: str.upper() folds some letters (ß, ſ) into IUPAC ones


TABLE_FORMAT = (
    "the original DNABERT format (a header line 'sequence<TAB>label', then one sequence, raw DNA or a k-mer "
    "sentence, a tab and its label per line)"
)


class SequenceError(InputError):
    """Bad sequence input. The message says which record, what is wrong and what to do."""


@dataclass
class SequenceSet:
    """Parsed sequences.

    Attributes
    ----------
    ids : list[str]
        Unique record ids, in input order.
    seqs : list[str]
        Upper-case sequences over the IUPAC alphabet (U already read as T).
    notes : list[str]
        Human-readable notes about normalisations applied (renamed duplicates,
        lowercase letters upper-cased, ...). Empty when the input was clean.
    labels : list[str] or None
        Class label per sequence when the input was a labelled table, else None.
    """

    ids: list[str]
    seqs: list[str]
    notes: list[str] = field(default_factory=list)
    labels: list[str] | None = None

    def __len__(self) -> int:
        return len(self.seqs)


def normalize_sequence(seq: str, record: str = "sequence") -> str:
    """Upper-case ``seq``, read U as T, strip whitespace, and validate it.

    Parameters
    ----------
    seq : str
        Raw sequence text (may contain line breaks).
    record : str
        Record id used in error messages.

    Returns
    -------
    str
        Sequence over ``ACGTNRYSWKMBDHV``.

    Raises
    ------
    SequenceError
        If a character is not a nucleotide or IUPAC code (names the record,
        the 0-based position and the character).
    """
    typed = re.sub(r"\s+", "", seq)
    bad = _INVALID.search(typed)
    if bad:
        ch = bad.group()
        shown = repr(ch) if ch.isascii() else f"{ch!r} (U+{ord(ch):04X})"
        raise SequenceError(
            f"record '{record}': character {shown} at position {bad.start()} (0-based) is not a "
            f"nucleotide or IUPAC code; allowed letters are {IUPAC} (any case, U read as T). "
            "Remove or replace it and try again."
        )
    return typed.upper().replace("U", "T")


def _decode(data: bytes, name: str, max_bytes: int | None = None) -> str:
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
                data = fh.read(-1 if max_bytes is None else max_bytes + 1)  # bounded: a small upload may inflate hugely
        except (EOFError, OSError, gzip.BadGzipFile) as e:
            raise SequenceError(f"{name}: the gzip file is truncated or corrupt ({e}). Re-export or re-compress it.") from None
        if max_bytes is not None and len(data) > max_bytes:
            raise SequenceError(
                f"{name}: decompresses to more than the limit of {max_bytes / 2**20:.3g} MB; give a smaller file "
                "(the CLI's limit is DNABERT_MAX_INPUT_MB)."
            )
    if b"\x00" in data[:4096]:
        raise SequenceError(f"{name}: this looks like a binary file, not FASTA or plain text with one sequence per line.")
    if data.startswith(b"%PDF"):
        raise SequenceError(f"{name}: this is a PDF, not FASTA or plain text with one sequence per line.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SequenceError(f"{name}: not UTF-8 text (byte {e.start}); expected FASTA or one sequence per line.") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_sequences(data: bytes | str, name: str = "input", max_bytes: int | None = None) -> SequenceSet:
    """Parse FASTA / multi-FASTA (optionally gzipped), one-sequence-per-line text or a DNABERT table.

    A first line with tab- or comma-separated fields ``sequence`` and ``label`` (any case)
    makes the input a labelled table (:data:`TABLE_FORMAT`): its labels are kept in
    ``SequenceSet.labels``. Other text with a tab or comma is refused with the formats
    that are read.

    Parameters
    ----------
    data : bytes or str
        File contents.
    name : str
        Name of the input used in messages (e.g. the file name).
    max_bytes : int, optional
        Refuse gzipped data that decompresses to more than this many bytes.

    Returns
    -------
    SequenceSet

    Raises
    ------
    SequenceError
        Empty input, binary data, a record with no sequence, an invalid
        character, a table without ``sequence`` and ``label`` columns, a corrupt
        gzip stream, or one over ``max_bytes``.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    text = _decode(data, name, max_bytes)
    if not text.strip():
        raise SequenceError(f"{name}: the input is empty; give FASTA or one sequence per line.")
    notes: list[str] = []
    raw_ids: list[str] = []
    labels: list[str] = []  # how messages name each record
    raw_seqs: list[str] = []
    stripped = text.lstrip()
    header = {f.strip().lower() for f in re.split("[\t,]", stripped.split("\n", 1)[0])}
    if {"sequence", "label"} <= header:
        return _read_table(text, name)
    if stripped.startswith(">"):
        for i, (title, seq) in enumerate(SimpleFastaParser(io.StringIO(stripped)), start=1):
            rid = title.split()[0] if title.strip() else ""
            label = rid or f"record {i}"
            if not seq.strip():
                raise SequenceError(f"{name}: record '{label}' (record {i}) has no sequence. Remove it or add its sequence.")
            raw_ids.append(rid)
            labels.append(label)
            raw_seqs.append(seq)
    else:
        if stripped.startswith(("@", "{", "<", "#")) and not re.fullmatch(r"[A-Za-z\s]+", stripped[:200]):
            raise SequenceError(
                f"{name}: unrecognised format (starts with {stripped[0]!r}); expected FASTA ('>' header lines) "
                "or plain text with one sequence per line."
            )
        for lineno, line in enumerate(text.split("\n"), start=1):
            if "\t" in line or "," in line:
                raise SequenceError(
                    f"{name}: line {lineno} has tab- or comma-separated fields, like a table; sequences are read from "
                    f"FASTA ('>' header lines), plain text with one sequence per line, or {TABLE_FORMAT}."
                )
            if line.strip():
                raw_ids.append("")
                labels.append(f"line {lineno}")
                raw_seqs.append(line)
    try:
        seqs = [normalize_sequence(seq, label) for seq, label in zip(raw_seqs, labels)]
    except SequenceError as e:
        raise SequenceError(f"{name}: {e}") from None
    n_lower = sum(1 for q in raw_seqs if any(c.islower() for c in q))
    n_rna = sum(1 for q in raw_seqs if "U" in q.upper())
    if n_lower:
        notes.append(f"{n_lower} sequence(s) had lowercase (soft-masked) letters: upper-cased")
    if n_rna:
        notes.append(f"{n_rna} sequence(s) contained U: read as T")
    ids = unique_ids(raw_ids, notes)
    return SequenceSet(ids=ids, seqs=seqs, notes=notes)


def _read_table(text: str, name: str) -> SequenceSet:
    """A labelled table (:data:`TABLE_FORMAT`) as a SequenceSet with its labels."""
    from dnabert.training.tables import read_labeled  # tables builds on this module

    table = read_labeled(text=text, name=name)
    counts = {lab: table.labels.count(lab) for lab in dict.fromkeys(table.labels)}
    note = f"read as a labelled table ({len(table)} rows; " + ", ".join(f"label {k}: {v}" for k, v in counts.items()) + ")"
    return SequenceSet(ids=table.ids, seqs=table.seqs, notes=[note], labels=table.labels)


def unique_ids(raw_ids: list[str], notes: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    ids: list[str] = []
    missing = renamed = 0
    taken = set(raw_ids)
    for i, rid in enumerate(raw_ids, start=1):
        if not rid:
            rid = f"seq{i}"
            missing += 1
        if rid in seen:
            n = seen[rid] + 1
            while f"{rid}_{n}" in taken or f"{rid}_{n}" in seen:
                n += 1
            seen[rid] = n
            new = f"{rid}_{n}"
            renamed += 1
            seen[new] = 1
            ids.append(new)
        else:
            seen[rid] = 1
            ids.append(rid)
    if missing and any(raw_ids):
        notes.append(f"{missing} record(s) without an id were named seq<N> by record number")
    if renamed:
        notes.append(f"{renamed} duplicate id(s) were made unique by adding _2, _3, ...")
    return ids


def require_kmers(data: SequenceSet, k: int, name: str = "input") -> None:
    """Raise SequenceError naming the first sequence shorter than ``k``: it has no k-mer for a model to read."""
    for i, (rid, seq) in enumerate(zip(data.ids, data.seqs), start=1):
        if len(seq) < k:
            raise SequenceError(
                f"{name}: sequence '{rid}' (record {i}) is {len(seq)} bp, shorter than k={k}: it has no {k}-mer "
                "for the model to read. Remove it or give a longer sequence."
            )


def read_sequences(path: str | Path) -> SequenceSet:
    """Read a FASTA / gzipped FASTA / plain-text sequence file (see :func:`parse_sequences`).

    A file (or what a gzip file inflates to, streamed) over :func:`dnabert.limits.input_bytes` is refused.
    """
    p = Path(path)
    if not p.is_file():
        raise SequenceError(f"{p}: no such file.")
    limit = input_bytes()
    if p.stat().st_size > limit:
        raise SequenceError(
            f"{p}: {p.stat().st_size / 2**20:.0f} MB is over the limit of {limit / 2**20:g} MB (DNABERT_MAX_INPUT_MB); split the file."
        )
    return parse_sequences(p.read_bytes(), name=str(p), max_bytes=limit)


def reverse_complement(seq: str) -> str:
    """Reverse complement of ``seq`` (IUPAC codes complemented, case kept)."""
    return seq.translate(_COMPLEMENT)[::-1]


def dinucleotide_shuffle(seq: str, rng: np.random.Generator) -> str:
    """Shuffle ``seq`` keeping its dinucleotide counts exactly (Altschul-Erickson).

    Chooses a random Eulerian path through the graph of dinucleotides that
    starts with the first letter and ends with the last, so every
    dinucleotide occurs as often as in ``seq``. Seeded by ``rng``.
    """
    if len(seq) < 3:
        return seq
    letters = sorted(set(seq))
    edges: dict[str, list[str]] = {a: [] for a in letters}
    for a, b in zip(seq[:-1], seq[1:]):
        edges[a].append(b)
    last = seq[-1]
    # random spanning arborescence towards `last`: for each vertex pick its last exit
    while True:
        last_edge = {a: edges[a][rng.integers(len(edges[a]))] if edges[a] and a != last else None for a in letters}
        if _reaches(last_edge, letters, last):
            break
    order: dict[str, list[str]] = {}
    for a in letters:
        out = list(edges[a])
        if last_edge[a] is not None:
            out.remove(last_edge[a])
            rng.shuffle(out)
            out.append(last_edge[a])
        else:
            rng.shuffle(out)
        order[a] = out
    pos = {a: 0 for a in letters}
    cur = seq[0]
    result = [cur]
    for _ in range(len(seq) - 1):
        nxt = order[cur][pos[cur]]
        pos[cur] += 1
        result.append(nxt)
        cur = nxt
    return "".join(result)


def _reaches(last_edge: dict[str, str | None], letters: list[str], last: str) -> bool:
    for a in letters:
        seen = set()
        cur = a
        while cur != last:
            if cur in seen or last_edge[cur] is None:
                return False
            seen.add(cur)
            cur = last_edge[cur]
    return True


def shuffled_negatives(seqs: list[str], seed: int = 0) -> list[str]:
    """Dinucleotide-shuffled copy of every sequence, seeded (one RNG for the set)."""
    rng = np.random.default_rng(seed)
    return [dinucleotide_shuffle(s, rng) for s in seqs]
