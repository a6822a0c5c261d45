"""Motif files: MEME minimal format (written here, read with memelite), JASPAR and TRANSFAC (Biopython).

MEME minimal format as written by :func:`format_meme`::

    MEME version 4

    ALPHABET= ACGT

    strands: + -

    Background letter frequencies
    A 0.2500 C 0.2500 G 0.2500 T 0.2500

    MOTIF motif_1 GGGCGCATGCGC
    letter-probability matrix: alength= 4 w= 12 nsites= 143 E= 1.2e-40
     0.010417  0.010417  0.968750  0.010417
     ...

``nsites`` is an integer (the number of instances) and ``E`` the motif's
enrichment q-value. Every file parses with Biopython (``Bio.motifs.parse(h,
"minimal")``) and memelite (``memelite.io.read_meme``).

Reading (:func:`read_meme`) accepts DNA motifs only: the alphabet is the
``ALPHABET=`` line (``ACGT``), or a custom alphabet block (``ALPHABET "name"
DNA-LIKE`` ... ``END ALPHABET``) whose core letters are A, C, G, T, or
absent (the line is optional; then every matrix must have 4 columns). RNA
(``ACGU``, ``RNA-LIKE``) and protein alphabets are refused: their matrices
cannot be scanned in DNA.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
from Bio import motifs as bio_motifs
from Bio.motifs import jaspar as bio_jaspar
from Bio.motifs import transfac as bio_transfac

from dnabert.errors import InputError
from dnabert.sequences import BASES

FORMATS = ("meme", "jaspar", "transfac")
SUFFIX = {"meme": ".meme", "jaspar": ".jaspar", "transfac": ".transfac"}


class MotifFileError(InputError):
    """A motif file that cannot be read."""


def format_meme(
    names: list[str],
    ppms: list[np.ndarray],
    nsites: list[int],
    evalues: list[float],
    background: np.ndarray,
    descriptions: list[str] | None = None,
) -> str:
    """MEME minimal format text (see the module docstring).

    Parameters
    ----------
    names : list of str
        m motif ids (no whitespace).
    ppms : list of np.ndarray
        m matrices, shape (4, W_i), rows ACGT, columns summing to 1.
    nsites : list of int
        Instances per motif.
    evalues : list of float
        Written as ``E=`` (the enrichment q-value here).
    background : np.ndarray, shape (4,)
        Base frequencies of the input (ACGT).
    descriptions : list of str, optional
        Second word of each ``MOTIF`` line (e.g. the consensus).
    """
    out = io.StringIO()
    out.write("MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\n")
    out.write(" ".join(f"{b} {f:.4f}" for b, f in zip(BASES, background)) + "\n\n")
    for i, (name, ppm, n, e) in enumerate(zip(names, ppms, nsites, evalues)):
        desc = f" {descriptions[i]}" if descriptions else ""
        out.write(f"MOTIF {name}{desc}\nletter-probability matrix: alength= 4 w= {ppm.shape[1]} nsites= {int(n)} E= {e:.3g}\n")
        for column in ppm.T:
            out.write(" " + "  ".join(f"{v:.6f}" for v in column) + "\n")
        out.write("\n")
    return out.getvalue()


def format_counts(names: list[str], counts: list[np.ndarray], fmt: str, descriptions: list[str] | None = None) -> str:
    """JASPAR (``>id name`` + count rows) or TRANSFAC text of count matrices (4, W_i), written by Biopython."""
    descriptions = descriptions or names
    records = []
    for name, c, desc in zip(names, counts, descriptions):
        rows = {b: c[i].tolist() for i, b in enumerate(BASES)}
        if fmt == "jaspar":
            records.append(bio_jaspar.Motif(name, desc, alphabet=BASES, counts=rows))
        elif fmt == "transfac":
            record = bio_transfac.Motif(alphabet=BASES, counts=rows)
            record["ID"], record["DE"] = name, desc
            records.append(record)
        else:
            raise ValueError(f"unknown count-matrix format {fmt!r}; choose jaspar or transfac")
    return bio_motifs.write(records, fmt)


def read_meme(path: str | Path) -> tuple[list[str], list[np.ndarray]]:
    """Read the motifs of a MEME file (memelite's reader).

    Returns
    -------
    names : list of str
        The ``MOTIF`` line of each motif (id and name, one space apart).
    ppms : list of np.ndarray
        (4, W) float64 matrices, rows ACGT.

    Raises
    ------
    MotifFileError
        Missing or unreadable file, no motif in it, or an alphabet other than DNA
        (see :func:`check_dna_alphabet`).
    """
    from memelite.io import read_meme as memelite_read_meme  # here: importing memelite imports numba (about 1 s)

    p = Path(path)
    if not p.is_file():
        raise MotifFileError(f"{p}: no such motif file")
    try:
        lines = p.read_text().splitlines()
        check_dna_alphabet(lines, p)  # first: memelite reads any matrix as 4 columns
        found = memelite_read_meme(str(p))
    except (ValueError, IndexError, AttributeError, UnicodeDecodeError) as e:
        raise MotifFileError(f"{p}: not a readable MEME motif file ({e})") from None
    if not found:
        raise MotifFileError(f"{p}: no MOTIF found; expected a MEME format file (e.g. from MEME or JASPAR)")
    declared = sum(line.startswith("MOTIF") for line in lines)
    if declared != len(found):  # memelite keeps one motif per name and skips a truncated last one
        raise MotifFileError(f"{p}: {declared} MOTIF lines but {len(found)} complete motifs with distinct names; fix the file")
    names = list(found)
    ppms = [np.ascontiguousarray(found[n], dtype=np.float64) for n in names]
    bad = [
        n
        for n, m in zip(names, ppms)  # memelite repeats a row's one value over all four columns: the sum shows it
        if m.shape[0] != 4 or not np.all(np.isfinite(m)) or (m < 0).any() or not np.allclose(m.sum(axis=0), 1, atol=0.02)
    ]
    if bad:
        raise MotifFileError(f"{p}: motif '{bad[0]}' is not a 4-letter DNA probability matrix")
    return names, ppms


def check_dna_alphabet(lines: list[str], path: str | Path) -> None:
    """Refuse a MEME file whose declared alphabet is not DNA (see the module docstring); no declaration passes.

    Raises
    ------
    MotifFileError
        Naming the alphabet found (RNA, protein or other letters) and what is accepted.
    """
    for at, line in enumerate(lines):
        text = line.strip()
        if text.startswith("MOTIF"):
            return
        if text.startswith("ALPHABET="):
            letters = text.split("=", 1)[1].strip().upper()
            core = set(letters)
        elif re.match(r"ALPHABET\b", text):  # a custom alphabet: its core letters come before END ALPHABET
            kind = re.search(r"\b(DNA|RNA|PROTEIN)-LIKE\b", text.upper())
            letters = kind.group(0) if kind else text
            core = set()
            for inner in lines[at + 1 :]:
                if inner.strip().upper().startswith("END ALPHABET"):
                    break
                if "=" not in inner:  # a core letter (with its complement after ~), not an ambiguity code
                    core |= {m.upper() for m in re.findall(r"(?:^|~)\s*(\S)", inner.strip())}
        else:
            continue
        if core == set("ACGT"):
            return
        rna, protein = core == set("ACGU") or "RNA-LIKE" in letters, len(core) >= 20 or "PROTEIN" in letters
        what = "RNA" if rna else "protein" if protein else "not DNA"
        raise MotifFileError(
            f"{path}: the motifs' alphabet is {what} ({text}); only DNA motifs (ALPHABET= ACGT) can be scanned in DNA "
            "sequences: convert the file or choose another"
        )
