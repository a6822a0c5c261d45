"""What a model was trained on: hashes of its training sequences, and a sentence for pages and cards.

A fine-tuned model folder holds :data:`HASH_FILE`, one hash per line (sorted,
distinct) of every sequence it was trained on, its start model's training
sequences included (a model fine-tuned from the demo inherits the demo's
planted-site training). :func:`count_in_training` says how many of the
sequences being analysed are among them, so predictions, attention and
motifs on training sequences are not taken for results on new data.
Hash: the first 16 hex digits of SHA-256 of the upper-case sequence.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HASH_FILE = "training_sequences.sha256"


def sequence_hash(seq: str) -> str:
    """First 16 hex digits of the SHA-256 of the upper-case sequence."""
    return hashlib.sha256(seq.upper().encode("ascii")).hexdigest()[:16]


def training_hashes(folder: str | Path) -> set[str] | None:
    """The training-sequence hashes of a model folder (None when it has no :data:`HASH_FILE`)."""
    f = Path(folder) / HASH_FILE
    if not f.is_file():
        return None
    return {line.strip() for line in f.read_text().splitlines() if line.strip()}


def write_training_hashes(folder: str | Path, seqs: list[str], start: str | Path | None = None) -> int:
    """Write :data:`HASH_FILE` into ``folder``: hashes of ``seqs`` plus those of the start model folder ``start``.

    Returns the number of distinct hashes written.
    """
    hashes = {sequence_hash(s) for s in seqs} | (training_hashes(start) or set() if start is not None else set())
    (Path(folder) / HASH_FILE).write_text("".join(f"{h}\n" for h in sorted(hashes)))
    return len(hashes)


def count_in_training(folder: str | Path, seqs: list[str]) -> int | None:
    """How many of ``seqs`` are training sequences of the model in ``folder`` (None: the folder records none)."""
    hashes = training_hashes(folder)
    if hashes is None:
        return None
    return sum(sequence_hash(s) in hashes for s in seqs)


def training_note(folder: str | Path, seqs: list[str]) -> str | None:
    """A note when some of ``seqs`` were in the model's training data (None when none were, or it is not recorded)."""
    n = count_in_training(folder, seqs)
    if not n:
        return None
    return (
        f"{n} of the {len(seqs)} analysed sequences were in this model's training data: its predictions, attention "
        "and motifs on them are not results on new data"
    )


def trained_on(folder: str | Path) -> str | None:
    """What the model in ``folder`` was trained on, from its ``metrics.json`` (``trained_on``; the demo: its data)."""
    f = Path(folder) / "metrics.json"
    try:
        record = json.loads(f.read_text()) if f.is_file() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(record, dict):
        return None
    if record.get("trained_on"):
        return record["trained_on"]
    recipe = record.get("recipe") or {}
    if "motifs" in recipe and "n_train" in recipe:  # the demo model's record (dnabert_demo.recipe)
        return (
            f"{recipe['n_train']} synthetic {recipe.get('length', '?')}-bp sequences, half with planted "
            f"{' / '.join(recipe['motifs'])} sites (JASPAR 2024; CTCF and YY1 by default): a model started from it "
            "already knows these motifs"
        )
    return None
