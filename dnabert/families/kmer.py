"""k-mer tokenizer compatible with the original DNABERT vocabularies (k = 3..6).

Vocabulary (identical, line by line, to DNABERT's ``vocab.txt``)::

    0 [PAD]  1 [UNK]  2 [CLS]  3 [SEP]  4 [MASK]
    5 + base-4 value of the k-mer with A=0, T=1, C=2, G=3 (first base most significant)

i.e. the order of ``itertools.product("ATCG", repeat=k)``. For k = 6, id 5 is
AAAAAA, id 6 AAAAAT and id 4100 GGGGGG.

A sequence of length L gives L - k + 1 overlapping k-mers; token i (0-based,
after [CLS]) covers nucleotides [i, i + k). Encoding is vectorised: the
sequence becomes base codes, then a rolling base-4 index. Any k-mer with a
letter other than A, C, G, T (N, IUPAC codes) becomes [UNK].
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

from dnabert.sequences import SequenceError, normalize_sequence

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(5)
N_SPECIAL = len(SPECIAL_TOKENS)
VOCAB_BASE_ORDER = "ATCG"  # k-mer order of the original DNABERT vocab.txt (not the ACGT of matrices)
KS = (3, 4, 5, 6)
MAX_TOKENS = 512  # BERT position embeddings; at most 510 k-mers per window

_CODE = np.full(256, -1, dtype=np.int8)
for _i, _b in enumerate(VOCAB_BASE_ORDER):
    _CODE[ord(_b)] = _i
    _CODE[ord(_b.lower())] = _i
_CODE[ord("U")] = _CODE[ord("u")] = 1


def build_vocab(k: int) -> list[str]:
    """The original DNABERT vocabulary for ``k``: 5 special tokens then 4**k k-mers."""
    _check_k(k)
    return SPECIAL_TOKENS + ["".join(p) for p in itertools.product(VOCAB_BASE_ORDER, repeat=k)]


def k_from_vocab_size(n: int) -> int:
    """k for a vocabulary of ``n`` tokens (69, 261, 1029, 4101 -> 3, 4, 5, 6)."""
    for k in KS:
        if n == N_SPECIAL + 4**k:
            return k
    raise ValueError(
        f"a vocabulary of {n} tokens matches no DNABERT k-mer size; expected 69 (k=3), 261 (k=4), 1029 (k=5) or 4101 (k=6)"
    )


def _check_k(k: int) -> None:
    if k not in KS:
        raise ValueError(f"k must be one of {KS}, got {k}")


def kmer_ids(seq: str, k: int) -> np.ndarray:
    """Token ids of the L - k + 1 overlapping k-mers of ``seq`` (no special tokens).

    Parameters
    ----------
    seq : str
        DNA sequence of length L >= k (any case; U read as T; other letters give [UNK]).
    k : int

    Returns
    -------
    np.ndarray, shape (L - k + 1,), dtype int64
    """
    _check_k(k)
    if len(seq) < k:
        raise SequenceError(f"a sequence of length {len(seq)} is shorter than k={k}: it has no {k}-mer")
    codes = _CODE[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)].astype(np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(codes, k)  # (L-k+1, k)
    ids = windows @ (4 ** np.arange(k - 1, -1, -1)) + N_SPECIAL
    ids[(windows < 0).any(axis=1)] = UNK_ID
    return ids


def encode_batch(seqs: list[str], k: int, max_tokens: int = MAX_TOKENS) -> tuple[np.ndarray, np.ndarray]:
    """Encode sequences as ``[CLS] k-mers [SEP] [PAD]...``.

    Parameters
    ----------
    seqs : list of str
        n sequences; each must give at most ``max_tokens - 2`` k-mers.
    k : int
    max_tokens : int
        Model window including [CLS] and [SEP].

    Returns
    -------
    input_ids : np.ndarray, shape (n, T), int64
        T = 2 + the longest number of k-mers in the batch.
    attention_mask : np.ndarray, shape (n, T), int64
        1 for real tokens ([CLS], k-mers, [SEP]), 0 for padding.
    """
    rows = [kmer_ids(s, k) for s in seqs]
    longest = max((len(r) for r in rows), default=0)
    if longest > max_tokens - 2:
        raise SequenceError(
            f"a sequence gives {longest} k-mers, more than the model window of {max_tokens - 2}; "
            "use dnabert.analysis.inference.predict, which splits long sequences into windows"
        )
    ids = np.full((len(rows), longest + 2), PAD_ID, dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, r in enumerate(rows):
        ids[i, 0] = CLS_ID
        ids[i, 1 : len(r) + 1] = r
        ids[i, len(r) + 1] = SEP_ID
        mask[i, : len(r) + 2] = 1
    return ids, mask


def decode(ids: np.ndarray, k: int) -> str:
    """Sequence from k-mer token ids (special tokens skipped; an [UNK] k-mer gives N)."""
    vocab = build_vocab(k)
    kmers = [vocab[i] if i >= N_SPECIAL else "N" * k for i in np.asarray(ids).tolist() if i >= N_SPECIAL or i == UNK_ID]
    if not kmers:
        return ""
    return kmers[0] + "".join(km[-1] for km in kmers[1:])


def from_kmer_sentence(sentence: str) -> str:
    """Turn an original DNABERT k-mer sentence back into its sequence.

    Raises
    ------
    SequenceError
        If the k-mers differ in length or do not overlap by k - 1 bases.
    """
    kmers = sentence.split()
    if not kmers:
        raise SequenceError("empty k-mer sentence")
    k = len(kmers[0])
    for i, (a, b) in enumerate(zip(kmers[:-1], kmers[1:]), start=1):
        if len(b) != k or a[1:] != b[:-1]:
            raise SequenceError(
                f"k-mer {i} ({b!r}) does not overlap k-mer {i - 1} ({a!r}) by {k - 1} bases: not a DNABERT k-mer sentence"
            )
    return normalize_sequence(kmers[0] + "".join(km[-1] for km in kmers[1:]), "k-mer sentence")


def is_kmer_sentence(text: str) -> bool:
    """True if ``text`` looks like space-separated overlapping k-mers (k = 3..6)."""
    parts = text.split()
    return len(parts) > 1 and len(parts[0]) in KS and all(a[1:] == b[:-1] for a, b in zip(parts[:-1], parts[1:]))


def save_tokenizer(directory: str | Path, k: int, max_tokens: int = MAX_TOKENS) -> None:
    """Write ``vocab.txt``, ``tokenizer_config.json`` and ``special_tokens_map.json``.

    The folder then loads with the original DNABERT tools and with
    ``transformers.BertTokenizer(vocab=..., do_lower_case=False)``.
    """
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    (d / "vocab.txt").write_text("\n".join(build_vocab(k)) + "\n")
    config = {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": False,
        "model_max_length": max_tokens,
        "kmer": k,
    }
    (d / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    special = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}
    (d / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n")


def read_vocab_k(directory: str | Path) -> int:
    """Check a folder's ``vocab.txt`` against the DNABERT vocabulary and return its k.

    Raises
    ------
    ValueError
        If the file is missing, its size matches no k, or its order differs.
    """
    path = Path(directory) / "vocab.txt"
    if not path.is_file():
        raise ValueError(f"{path}: missing; a DNABERT model folder needs its vocab.txt")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    k = k_from_vocab_size(len(lines))
    expected = build_vocab(k)
    for i, (got, want) in enumerate(zip(lines, expected)):
        if got.strip() != want:
            raise ValueError(f"{path}: line {i + 1} is {got!r}, expected {want!r} (not the DNABERT {k}-mer vocabulary)")
    return k
