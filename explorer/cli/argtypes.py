"""Range-checked argparse types: a bad number or device is refused by the parser with one line, before any work.

Use as ``p.add_argument("--batch-size", type=integer(1), ...)``. argparse prints
``error: argument --batch-size: ...`` and exits with status 2; nothing runs.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def integer(lo: int, hi: int | None = None) -> Callable[[str], int]:
    """An integer from ``lo`` to ``hi`` (inclusive; no upper bound when None)."""
    span = f"from {lo} to {hi}" if hi is not None else f"of at least {lo}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer; expected an integer {span}") from None
        if value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"{value} is out of range; expected an integer {span}")
        return value

    return parse


def number(
    lo: float | None = None, hi: float | None = None, low_open: bool = False, high_open: bool = False
) -> Callable[[str], float]:
    """A finite number in the interval from ``lo`` to ``hi`` (closed unless ``low_open`` / ``high_open``)."""
    left = "" if lo is None else f"{'>' if low_open else '>='} {lo:g}"
    right = "" if hi is None else f"{'<' if high_open else '<='} {hi:g}"
    span = " and ".join(s for s in (left, right) if s) or "finite"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number; expected a number {span}") from None
        too_low = lo is not None and (value <= lo if low_open else value < lo)
        too_high = hi is not None and (value >= hi if high_open else value > hi)
        if not math.isfinite(value) or too_low or too_high:
            raise argparse.ArgumentTypeError(f"{text} is out of range; expected a number {span}")
        return value

    return parse


SEED = integer(0, 2**32 - 1)  # what numpy and torch accept as a seed
FRACTION = number(0, 1)
PROBABILITY = number(0, 1, low_open=True, high_open=True)
POSITIVE = number(0, low_open=True)


def max_steps(text: str) -> int:
    """Training steps: a positive integer, or -1 for 'run the epochs'."""
    value = integer(-1)(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 steps would train nothing; give a positive number of steps, or -1 to use --epochs")
    return value


def device(text: str) -> str:
    """A torch device this machine has: ``cpu``, ``cuda``, ``cuda:N`` (N below the GPU count) or ``mps``."""
    if text == "cpu":
        return text
    import torch

    try:
        dev = torch.device(text)
    except (RuntimeError, ValueError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a torch device; use cpu, cuda, cuda:N or mps") from None
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise argparse.ArgumentTypeError(f"{text}: this torch has no usable CUDA GPU; use --device cpu")
        if dev.index is not None and dev.index >= count:
            raise argparse.ArgumentTypeError(f"{text}: there are {count} CUDA GPU(s), cuda:0 to cuda:{count - 1}")
    elif dev.type == "mps":
        if not torch.backends.mps.is_available():
            raise argparse.ArgumentTypeError(f"{text}: Apple MPS is not available here; use --device cpu")
    elif dev.type != "cpu":
        raise argparse.ArgumentTypeError(f"{text!r}: only cpu, cuda, cuda:N and mps are supported")
    return text
