"""Families added from outside: a detection rule and a loader, consulted before the built-in families.

The rest of the code asks a loaded model's tokenizer (:class:`dnabert.families.dna_tokenizers.DnaTokenizer`)
what depends on the family (token spans, the window in bases, the shortest sequence, how windows of
a long sequence are cut, the description), so a family added here works on every page and command.

Examples
--------
>>> register(Family("Toy", detect=lambda raw, d: raw.get("toy") is True, load=load_toy))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dnabert.families.loading import FamilyModel


@dataclass(frozen=True)
class Family:
    """A model family: its name, how its folders are recognised, and how one is loaded.

    Attributes
    ----------
    name : str
        Shown in the sidebar and the command line's ``model:`` line.
    detect : callable
        ``detect(raw_config: dict, folder: Path) -> bool``: whether a folder (its ``config.json``
        as a dict) holds a model of this family.
    load : callable
        ``load(folder, task, window, labels) -> FamilyModel`` with ``task`` "classification" or
        "mlm", ``window`` the content tokens per pass (None: the model's own) and ``labels``
        the classes of a fresh head for fine-tuning (None: the folder's head). The model must
        expose its layers as ``model.bert`` or ``model.esm`` (``encoder.layer[i].attention.self``)
        and return attentions in eager mode, as the built-in families do.
    """

    name: str
    detect: Callable[[dict, Path], bool]
    load: Callable[[Path, str, int | None, list[str] | None], FamilyModel]


REGISTERED: dict[str, Family] = {}


def register(family: Family) -> None:
    """Add (or replace) a family; its rule is tried before the built-in ones."""
    REGISTERED[family.name] = family


def unregister(name: str) -> None:
    """Remove a registered family (no error when it is not there)."""
    REGISTERED.pop(name, None)


def registered_family(raw: dict, folder: Path) -> str | None:
    """Name of the first registered family whose rule accepts ``folder`` (None when none does)."""
    return next((f.name for f in REGISTERED.values() if f.detect(raw, folder)), None)
