"""DNA tokenizers of the model families: token ids plus the bases each token covers.

Every tokenizer turns a sequence of length L into n content tokens and, for
each token, the half-open span [start, end) of bases it covers (0-based):

- overlapping k-mers (DNABERT-1): token i covers [i, i + k); n = L - k + 1;
- BPE pieces (DNABERT-2): the character offsets of each piece, spans tile
  the sequence;
- non-overlapping 6-mers (Nucleotide Transformer): 6-mers from the left, a base
  that cannot start a clean 6-mer (the last L mod 6 bases of a run, N and
  other letters) is a single-base token; spans tile the sequence.

Special tokens ([CLS], [SEP], padding) are added around the content tokens
by :meth:`DnaTokenizer.batch` and cover no base. ``window`` is the most
content tokens one forward pass takes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from dnabert.errors import InputError
from dnabert.families.kmer import CLS_ID, N_SPECIAL, PAD_ID, SEP_ID, build_vocab, kmer_ids
from dnabert.sequences import SequenceError, SequenceSet, require_kmers
from dnabert.analysis.token_tracks import kmer_spans


@dataclass
class DnaTokenizer:
    """Shared part of the family tokenizers.

    Attributes
    ----------
    prefix, suffix : tuple of int
        Special token ids put before / after the content tokens.
    pad_id : int
    window : int
        Most content tokens per forward pass (model positions minus specials).
    """

    prefix: tuple[int, ...]
    suffix: tuple[int, ...]
    pad_id: int
    window: int

    name = "tokens"
    unit = "tokens"  # what messages call the content tokens
    # True when a window's tokens depend only on its own bases (overlapping k-mers): windows of a long
    # sequence can then be cut from the text and scored apart (:meth:`window_texts`)
    separable_windows = False

    @property
    def shortest_bases(self) -> int:
        """Shortest sequence, in bp, that gives at least one token."""
        return 1

    @property
    def shortest_text(self) -> str:
        """:attr:`shortest_bases` as messages say it (e.g. ``k=6``)."""
        return str(self.shortest_bases)

    @property
    def window_bases(self) -> int:
        """Bases of the longest sequence one model window always holds (BPE: ``window``, a piece covers >= 1 base)."""
        return self.window

    @property
    def window_text(self) -> str:
        """The model window as messages say it (e.g. ``510 BPE tokens``)."""
        return f"{self.window} {self.name} tokens"

    def describe(self) -> str:
        """Tokenizer and window for one line of the sidebar, e.g. ``BPE · window 510 tokens``."""
        return f"{self.name} · window {self.window} tokens"

    def edge_note(self) -> str:
        """How a base gets its score from the tokens covering it (a caption under attention tracks)."""
        return f"Each base carries the score of the {self.name} token holding it."

    def too_long(self, seq: str) -> bool:
        """True when ``seq`` has more content tokens than one model window (it is then scored in several)."""
        return len(self.tokenize(seq)[0]) > self.window

    def window_texts(self, seq: str) -> tuple[np.ndarray, list[str]]:
        """First base and text of each model window of ``seq`` (only when :attr:`separable_windows`).

        Returns
        -------
        starts : np.ndarray, shape (m,), int64
            0-based first base of each window.
        texts : list of str
            The m window sequences, each one model window.
        """
        raise NotImplementedError(f"{self.name}: windows depend on the whole sequence; score it whole")

    def check_length(self, seq: str, what: str) -> None:
        """Raise SequenceError if ``seq`` gives no token (``what`` names it in the message)."""
        if not seq:
            raise SequenceError(f"{what} is empty: it has no token to score")

    def require_tokens(self, data: SequenceSet, name: str = "input") -> None:
        """Raise SequenceError naming the first sequence of ``data`` that gives no token."""
        for i, (rid, seq) in enumerate(zip(data.ids, data.seqs), start=1):
            self.check_length(seq, f"{name}: sequence '{rid}' (record {i})")

    def tokenize(self, seq: str) -> tuple[np.ndarray, np.ndarray]:
        """Content tokens of ``seq`` (length L).

        Returns
        -------
        ids : np.ndarray, shape (n,), int64
        spans : np.ndarray, shape (n, 2), int64
            Token t covers bases [spans[t, 0], spans[t, 1]).
        """
        raise NotImplementedError

    def token_strings(self, ids: np.ndarray) -> list[str]:
        """The tokens as the model sees them (k-mers, BPE pieces, 6-mers, special names)."""
        raise NotImplementedError

    @property
    def vocab_size(self) -> int:
        """Number of token ids (highest id + 1)."""
        raise NotImplementedError

    def batch(self, rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Model input for content-token rows: ``prefix + row + suffix``, right-padded.

        Parameters
        ----------
        rows : list of np.ndarray
            B rows of at most ``window`` content token ids.

        Returns
        -------
        input_ids : np.ndarray, shape (B, T), int64
            T = longest row + len(prefix) + len(suffix).
        attention_mask : np.ndarray, shape (B, T), int64
            1 for real tokens (specials included), 0 for padding.
        """
        longest = max((len(r) for r in rows), default=0)
        if longest > self.window:
            raise SequenceError(f"a window of {longest} tokens is longer than the model window of {self.window} tokens")
        p, s = len(self.prefix), len(self.suffix)
        ids = np.full((len(rows), longest + p + s), self.pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, r in enumerate(rows):
            ids[i, :p] = self.prefix
            ids[i, p : p + len(r)] = r
            ids[i, p + len(r) : p + len(r) + s] = self.suffix
            mask[i, : p + len(r) + s] = 1
        return ids, mask


@dataclass
class KmerTokenizer(DnaTokenizer):
    """DNABERT-1: overlapping k-mers, vocabulary of :mod:`dnabert.families.kmer`."""

    k: int = 6

    @property
    def name(self) -> str:
        return f"overlapping {self.k}-mers"

    separable_windows = True
    unit = "k-mers"

    @property
    def shortest_bases(self) -> int:
        return self.k

    @property
    def shortest_text(self) -> str:
        return f"k={self.k}"

    @property
    def window_bases(self) -> int:
        """``window + k - 1``: the k-mers of a window overlap by k - 1 bases."""
        return self.window + self.k - 1

    @property
    def window_text(self) -> str:
        return f"{self.window_bases} bp ({self.window} k-mers)"

    def describe(self) -> str:
        return f"{self.name} · window {self.window} tokens ({self.window_bases} bp)"

    def edge_note(self) -> str:
        return f"The first and last {self.k - 1} bases are covered by fewer k-mers, so their scores are noisier."

    def too_long(self, seq: str) -> bool:
        return len(seq) > self.window_bases

    def window_texts(self, seq: str) -> tuple[np.ndarray, list[str]]:
        from dnabert.analysis.inference import window_starts  # k-mer i starts at base i

        starts = window_starts(len(seq) - self.k + 1, self.window)
        return starts, [seq[st : st + self.window_bases] for st in starts]

    def require_tokens(self, data: SequenceSet, name: str = "input") -> None:
        require_kmers(data, self.k, name)

    def tokenize(self, seq: str) -> tuple[np.ndarray, np.ndarray]:
        ids = kmer_ids(seq, self.k)
        return ids, kmer_spans(len(ids), self.k)

    def check_length(self, seq: str, what: str) -> None:
        if len(seq) < self.k:
            raise SequenceError(f"{what} has length {len(seq)}, shorter than k={self.k}: it has no {self.k}-mer to score")

    def token_strings(self, ids: np.ndarray) -> list[str]:
        vocab = build_vocab(self.k)
        return [vocab[i] for i in np.asarray(ids).tolist()]

    @property
    def vocab_size(self) -> int:
        return N_SPECIAL + 4**self.k


def kmer_tokenizer(k: int, max_positions: int) -> KmerTokenizer:
    """DNABERT-1 tokenizer for a BERT with ``max_positions`` position embeddings."""
    return KmerTokenizer(prefix=(CLS_ID,), suffix=(SEP_ID,), pad_id=PAD_ID, window=max_positions - 2, k=k)


@dataclass
class BpeTokenizer(DnaTokenizer):
    """DNABERT-2: byte-pair encoding read from ``tokenizer.json`` (``tokenizers`` library)."""

    bpe: Tokenizer | None = None

    name = "BPE"

    def tokenize(self, seq: str) -> tuple[np.ndarray, np.ndarray]:
        enc = self.bpe.encode(seq, add_special_tokens=False)
        return np.asarray(enc.ids, dtype=np.int64), np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)

    def token_strings(self, ids: np.ndarray) -> list[str]:
        return [self.bpe.id_to_token(i) for i in np.asarray(ids).tolist()]

    @property
    def vocab_size(self) -> int:
        return self.bpe.get_vocab_size()


def bpe_tokenizer(path: str | Path, window: int) -> BpeTokenizer:
    """DNABERT-2 tokenizer from ``tokenizer.json``: ``[CLS] pieces [SEP]``, [PAD] padding."""
    bpe = Tokenizer.from_file(str(path))
    ids = {t: bpe.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]")}
    missing = [t for t, i in ids.items() if i is None]
    if missing:
        raise InputError(f"{path}: no {', '.join(missing)} token; not a DNABERT-2 tokenizer.json")
    return BpeTokenizer(prefix=(ids["[CLS]"],), suffix=(ids["[SEP]"],), pad_id=ids["[PAD]"], window=window, bpe=bpe)


@dataclass
class SixmerTokenizer(DnaTokenizer):
    """Nucleotide Transformer: non-overlapping 6-mers from the left, single bases otherwise.

    Token ids come from the checkpoint's ``vocab.txt`` (``vocab``: token -> id).
    """

    vocab: dict[str, int] | None = None
    unk_id: int = 0

    name = "non-overlapping 6-mers"
    K = 6

    @property
    def window_bases(self) -> int:
        """``6 * window`` for sequences without N (an N costs a token of its own)."""
        return self.window * self.K

    def tokenize(self, seq: str) -> tuple[np.ndarray, np.ndarray]:
        ids: list[int] = []
        starts: list[int] = []
        i, L = 0, len(seq)
        while i < L:
            kmer = seq[i : i + self.K]
            if len(kmer) == self.K and kmer in self.vocab:
                ids.append(self.vocab[kmer])
                starts.append(i)
                i += self.K
            else:
                ids.append(self.vocab.get(seq[i], self.unk_id))
                starts.append(i)
                i += 1
        s = np.asarray(starts, dtype=np.int64)
        ends = np.append(s[1:], L).astype(np.int64)
        return np.asarray(ids, dtype=np.int64), np.stack([s, ends], axis=1).reshape(-1, 2)

    def token_strings(self, ids: np.ndarray) -> list[str]:
        names = {i: t for t, i in self.vocab.items()}
        return [names[i] for i in np.asarray(ids).tolist()]

    @property
    def vocab_size(self) -> int:
        return max(self.vocab.values()) + 1


NT_SPECIALS = ("<cls>", "<pad>", "<unk>", "<mask>")
NT_BASES = ("A", "C", "G", "T", "N")


def sixmer_tokenizer(vocab_path: str | Path, window: int) -> SixmerTokenizer:
    """NT tokenizer from ``vocab.txt`` (one token per line, id = line number): ``<cls>`` + tokens.

    Raises
    ------
    InputError
        A file that is not UTF-8, a token listed twice, or a vocabulary that lacks
        any of the family's tokens: its specials, the single bases and all 4096
        6-mers of A, C, G, T (without them every base would be tokenized alone).
    """
    try:
        lines = Path(vocab_path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise InputError(f"{vocab_path}: not UTF-8 text (byte {e.start}); a vocab.txt lists one token per line") from None
    vocab: dict[str, int] = {}
    for i, token in enumerate(t.strip() for t in lines):
        if token in vocab:
            raise InputError(f"{vocab_path}: token {token!r} is listed twice (lines {vocab[token] + 1} and {i + 1})")
        if token:
            vocab[token] = i
    missing = [t for t in NT_SPECIALS + NT_BASES if t not in vocab]
    missing += ["".join(p) for p in itertools.product("ACGT", repeat=6) if "".join(p) not in vocab]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise InputError(f"{vocab_path}: no {shown} token; not a Nucleotide Transformer vocabulary (specials, bases and 6-mers)")
    return SixmerTokenizer(
        prefix=(vocab["<cls>"],), suffix=(), pad_id=vocab["<pad>"], window=window, vocab=vocab, unk_id=vocab["<unk>"]
    )
