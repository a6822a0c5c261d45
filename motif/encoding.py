"""Sequences as integer codes and k-mers as base-4 integers.

All positive (or negative) sequences are concatenated into one code array
with one separator code after each sequence, so every k-mer, window or PWM
site that would cross from one sequence into the next contains a non-ACGT
code and is rejected by the same test that rejects ``N``.

Codes: A=0, C=1, G=2, T=3 (the ACGT row order of PPMs), anything else
(N, IUPAC ambiguity codes, the separator) = 4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dnabert.sequences import BASES

OTHER = 4  # code of N, IUPAC ambiguity letters and the separator
_LUT = np.full(256, OTHER, dtype=np.uint8)
for _i, _b in enumerate(BASES):
    _LUT[ord(_b)] = _i


@dataclass(frozen=True)
class Encoded:
    """Sequences concatenated as codes.

    Attributes
    ----------
    codes : np.ndarray, shape (T,), uint8
        Codes of all sequences, each followed by one separator (code 4);
        T = sum of lengths + number of sequences.
    starts : np.ndarray, shape (n,), int64
        Offset of each sequence in ``codes``.
    lengths : np.ndarray, shape (n,), int64
    """

    codes: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.lengths)

    def seq_of(self, pos: np.ndarray) -> np.ndarray:
        """Sequence index of global positions ``pos`` (shape (m,)) -> (m,) int64."""
        return np.searchsorted(self.starts, pos, side="right") - 1


def encode(seqs: list[str]) -> Encoded:
    """Encode upper-case sequences (see the module docstring)."""
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
    raw = np.frombuffer(("\n".join(seqs) + "\n").encode("ascii", "replace"), dtype=np.uint8)
    return Encoded(codes=_LUT[raw], starts=starts, lengths=lengths)


def kmer_index(codes: np.ndarray, k: int, canonical: bool = False) -> np.ndarray:
    """Base-4 value of the k-mer starting at every position.

    Parameters
    ----------
    codes : np.ndarray, shape (T,), uint8
    k : int
        1 <= k <= 31.
    canonical : bool
        Give the smaller of the k-mer's and its reverse complement's value
        (a k-mer and its reverse complement get the same value).

    Returns
    -------
    np.ndarray, shape (T - k + 1,), int64
        First base most significant (AAAA.. = 0); -1 where the k-mer contains
        a code other than ACGT.
    """
    m = max(len(codes) - k + 1, 0)
    value = np.zeros(m, dtype=np.int64)
    reverse = np.zeros(m, dtype=np.int64)
    bad = np.zeros(m, dtype=bool)
    for j in range(k):
        c = codes[j : j + m]
        value = value * 4 + (c & 3)
        if canonical:
            reverse += (3 - (c & 3)).astype(np.int64) << (2 * j)
        bad |= c == OTHER
    if canonical:
        value = np.minimum(value, reverse)
    value[bad] = -1
    return value


def kmer_strings(values: np.ndarray, k: int) -> list[str]:
    """The k-mers of base-4 values, shape (m,) (inverse of :func:`kmer_index`)."""
    digits = (np.asarray(values)[:, None] >> (2 * np.arange(k - 1, -1, -1))) & 3
    return decode(digits)


def decode(codes: np.ndarray) -> list[str]:
    """Strings of the rows of a code array (m, L); code 4 is written N."""
    letters = np.frombuffer(b"ACGTN", dtype=np.uint8)[codes]
    return [row.tobytes().decode("ascii") for row in np.ascontiguousarray(letters)]


def string_codes(word: str) -> np.ndarray:
    """Codes of one string, shape (len(word),), uint8."""
    return _LUT[np.frombuffer(word.encode("ascii", "replace"), dtype=np.uint8)]


def revcomp_codes(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of code arrays along the last axis (code 4 stays 4)."""
    flipped = codes[..., ::-1]
    return np.where(flipped == OTHER, OTHER, 3 - flipped).astype(np.uint8)
