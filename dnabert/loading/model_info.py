"""What a loaded model takes as input, for any family: its description, shortest and longest sequences.

The commands and pages ask these questions instead of reasoning about k-mers:

- :func:`describe`: family, tokenizer and window, e.g. ``DNABERT-2 · BPE · window 510 tokens``;
- :func:`require_tokens`: refuse (naming the record) a sequence that gives the model no token;
- :func:`window_bases`: how many bases one model window holds;
- :func:`too_long_for_window`: whether one sequence needs more than one window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dnabert.sequences import SequenceSet

if TYPE_CHECKING:  # no torch import for callers that only check inputs
    from dnabert.loading.checkpoint import LoadedModel


def describe(lm: LoadedModel) -> str:
    """One line: family, tokenizer and window in tokens (and k-mers' bases)."""
    return f"{lm.family} · {lm.tokenizer.describe()}"


def shortest_bases(lm: LoadedModel) -> int:
    """Shortest sequence, in bp, that gives at least one token: k for k-mers, 1 otherwise."""
    return lm.tokenizer.shortest_bases


def window_bases(lm: LoadedModel) -> int:
    """Bases of the longest sequence one model window holds.

    Overlapping k-mers: ``window + k - 1`` exactly. Non-overlapping 6-mers:
    ``6 * window`` (sequences without N; an N costs a token of its own). BPE:
    ``window``, the length that always fits (a piece covers at least one
    base; typical DNA fits several times more).
    """
    return lm.tokenizer.window_bases


def require_tokens(data: SequenceSet, lm: LoadedModel, name: str = "input") -> None:
    """Raise SequenceError naming the first sequence of ``data`` that gives ``lm`` no token."""
    lm.tokenizer.require_tokens(data, name)


def token_count(lm: LoadedModel, seq: str) -> int:
    """Content tokens ``lm`` reads in ``seq``."""
    return len(lm.tokenizer.tokenize(seq)[0])


def too_long_for_window(lm: LoadedModel, seq: str) -> bool:
    """True when ``seq`` has more tokens than one model window (it is then scored in several)."""
    return lm.tokenizer.too_long(seq)
