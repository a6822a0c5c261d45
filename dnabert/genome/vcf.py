"""VCF + reference FASTA -> genome windows and edits to score, streamed in chunks.

Reader
------
A small strict streaming reader (plain or gzip / bgzip-compressed VCF): it
needs only CHROM, POS, ID, REF and ALT, and every problem is reported with its
line number. (pysam installs here, but for a malformed record it says only
"truncated file", without the line, and reads on past it.) Alleles are
upper-cased. Refused, with the line number: meta or header lines out of
place, a record with fewer than 8 fields, a POS that is not a positive
integer, REF or ALT with letters other than A, C, G, T, symbolic alleles
(``<DEL>``, ``*``, breakends), a missing ALT (``.``), ALT equal to REF, and a
file without records. Multi-allelic records give one edit per ALT.

Windows
-------
For a variant whose REF covers [s, e) on its contig (0-based: s = POS - 1,
e = s + len(REF)), the reference window has ``width`` bases (the model's input
length by default) with REF in the middle: it starts at
``s - (width - len(REF)) // 2``. The alternative window is the same window with
REF replaced by ALT, cut or extended on the right so that it also has
``width`` bases. Windows that run past a contig end are padded with N (k-mers
with N are [UNK]); the chunk lists those variants. REF must equal the FASTA
there (case-insensitive), else the line is reported: a mismatch usually means
the VCF is on another assembly.

The reference FASTA is read with pyfaidx, which writes its ``.fai`` index next
to the FASTA on first use (gzip-compressed FASTA must be bgzip-compressed).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyfaidx

from dnabert.errors import InputError
from dnabert.genome.fasta_checks import check_genome_file, duplicate_contig_error
from dnabert.sequences import BASES
from dnabert.analysis.variants import CHUNK, Edit

HEADER = ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]


class VcfError(InputError):
    """A VCF or reference FASTA problem; the message names the file, the line and what to do."""


@dataclass
class VcfRecord:
    """One VCF data line: ``line`` (1-based line number), ``pos`` 1-based as in the file."""

    line: int
    chrom: str
    pos: int
    id: str
    ref: str
    alts: list[str]


def _open_binary(path: Path) -> BinaryIO:
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def _is_sequence(allele: str) -> bool:
    return bool(allele) and set(allele) <= set(BASES)


def parse_record(line: str, lineno: int, where: str) -> VcfRecord:
    """Parse one tab-separated VCF data line (see the module docstring for what is refused)."""
    fields = line.split("\t")
    at = f"{where} line {lineno}"
    if len(fields) < 8:
        raise VcfError(
            f"{at}: {len(fields)} tab-separated field(s); a VCF record has at least 8 (CHROM POS ID REF ALT QUAL FILTER INFO)."
        )
    chrom, pos, vid, ref_typed, alt_typed = fields[:5]
    if not (pos.isascii() and pos.isdigit()) or int(pos) < 1:
        raise VcfError(f"{at}: POS {pos!r} is not a positive integer (1-based position).")
    ref = ref_typed.upper()
    if not ref_typed.isascii() or not _is_sequence(ref):
        raise VcfError(f"{at}: REF {ref_typed!r} has letters other than A, C, G, T; only sequence alleles can be scored.")
    alts = alt_typed.upper().split(",")
    for a, typed in zip(alts, alt_typed.split(",")):
        if a == "*" or a.startswith("<") or "[" in a or "]" in a:
            raise VcfError(
                f"{at}: ALT {a!r} is a symbolic allele (<DEL>, *, breakends); only sequence alleles can be scored: "
                "remove such records (e.g. with bcftools view)."
            )
        if a == ".":
            raise VcfError(f"{at}: ALT is '.' (no alternative allele): nothing to score; remove reference-only records.")
        if not typed.isascii() or not _is_sequence(a):
            raise VcfError(f"{at}: ALT {typed!r} has letters other than A, C, G, T; only sequence alleles can be scored.")
        if a == ref:
            raise VcfError(f"{at}: ALT {a!r} equals REF; the variant changes nothing.")
    return VcfRecord(lineno, chrom, int(pos), vid, ref, alts)


def read_vcf(path: str | Path) -> Iterator[VcfRecord]:
    """Stream the records of a VCF (plain or gzip-compressed), one at a time.

    Raises
    ------
    VcfError
        Missing file, no ``#CHROM`` header line, a malformed line (its number
        is in the message), or no records.
    """
    p = Path(path)
    if not p.is_file():
        raise VcfError(f"{p}: no such file.")
    header = False
    n = 0
    lineno = 0
    try:
        with _open_binary(p) as fh:
            for lineno, raw in enumerate(fh, start=1):
                try:
                    line = raw.decode("utf-8-sig").rstrip("\r\n")
                except UnicodeDecodeError:
                    raise VcfError(f"{p} line {lineno}: not UTF-8 text; is this a VCF file?") from None
                if not line.strip():
                    continue
                if line.startswith("##"):
                    if header:
                        raise VcfError(f"{p} line {lineno}: a '##' meta line after the #CHROM header line.")
                    continue
                if line.startswith("#"):
                    if line[1:].split("\t")[:8] != HEADER:
                        raise VcfError(
                            f"{p} line {lineno}: the header line must begin #CHROM POS ID REF ALT QUAL FILTER INFO, "
                            f"tab-separated; got {line[:80]!r}."
                        )
                    header = True
                    continue
                if not header:
                    raise VcfError(f"{p} line {lineno}: a record before the #CHROM header line; is this a VCF file?")
                yield parse_record(line, lineno, str(p))
                n += 1
    except (EOFError, gzip.BadGzipFile) as e:
        raise VcfError(f"{p}: the gzip stream is truncated or corrupt after line {lineno} ({e}).") from None
    if not header:
        raise VcfError(f"{p}: no '#CHROM POS ID REF ALT ...' header line; is this a VCF file?")
    if n == 0:
        raise VcfError(f"{p}: the VCF has no variant records.")


def open_genome(path: str | Path) -> pyfaidx.Fasta:
    """Open a reference FASTA for random access (pyfaidx; upper-case, plain strings).

    Raises
    ------
    VcfError
        Missing or malformed FASTA, a byte order mark, duplicate contig names,
        a stale ``.fai`` index, or a folder where the index cannot be written.
    """
    p = Path(path)
    if not p.is_file():
        raise VcfError(f"{p}: no such file.")
    check_genome_file(p, VcfError)
    try:
        return pyfaidx.Fasta(str(p), as_raw=True, sequence_always_upper=True)
    except ValueError as e:  # pyfaidx: Duplicate key "name"
        raise duplicate_contig_error(p, str(e), VcfError) from None
    except pyfaidx.FastaIndexingError as e:
        raise VcfError(f"{p}: cannot index this FASTA: {e}") from None
    except OSError as e:
        raise VcfError(
            f"{p}: cannot read or index this FASTA ({e}); a plain or bgzip-compressed FASTA in a writable folder is needed."
        ) from None


@dataclass
class VariantChunk:
    """Up to ``chunk`` variants (one per ALT) ready for :func:`dnabert.analysis.variants.score_edits`.

    Attributes
    ----------
    contexts : list of str
        One reference window per record, ``width`` bases plus ``extra`` on the
        right (what the longest deletion of the record needs).
    edits : list of Edit
        One per ALT, in window coordinates; score with ``width=width``.
    ids, chroms, refs, alts : list of str
        Per edit: the VCF ID (``chrom:POS`` when it is '.'), contig, alleles.
    positions : list of int
        Per edit: 0-based contig position of REF's first base (POS - 1).
    padded : list of str
        ``chrom:POS`` of the records whose window runs past a contig end (padded with N).
    """

    contexts: list[str] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    chroms: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    alts: list[str] = field(default_factory=list)
    padded: list[str] = field(default_factory=list)


def reference_window(genome: pyfaidx.Fasta, chrom: str, start: int, end: int, width: int, extra: int = 0) -> tuple[str, bool]:
    """Bases [a, a + width + extra) of ``chrom`` with a = start - (width - (end - start)) // 2.

    Parts outside the contig are N. Returns the window and whether it was padded.
    """
    a = start - (width - (end - start)) // 2
    b = a + width + extra
    n = len(genome[chrom])
    inside = genome[chrom][max(a, 0) : min(b, n)]
    return "N" * max(-a, 0) + inside + "N" * max(b - n, 0), a < 0 or b > n


def _check_against_genome(rec: VcfRecord, genome: pyfaidx.Fasta, at: str, genome_name: str, width: int) -> None:
    """Raise VcfError when the contig is missing, REF runs past its end or differs, or an allele is too long."""
    if rec.chrom not in genome:
        names = list(genome.keys())
        raise VcfError(
            f"{at}: contig '{rec.chrom}' is not in {genome_name} (its contigs: {', '.join(names[:5])}"
            f"{', ...' if len(names) > 5 else ''}); check the 'chr' prefix and the assembly."
        )
    contig = genome[rec.chrom]
    start, end = rec.pos - 1, rec.pos - 1 + len(rec.ref)
    if end > len(contig):
        raise VcfError(
            f"{at}: REF at {rec.chrom}:{rec.pos} runs past the end of the contig (length {len(contig)}) in "
            f"{genome_name}; is the VCF on another assembly?"
        )
    if contig[start:end] != rec.ref:
        raise VcfError(
            f"{at}: REF {rec.ref!r} at {rec.chrom}:{rec.pos} does not match the reference {genome_name}, "
            f"which has {contig[start:end]!r}; is the VCF on another assembly?"
        )
    longest = max(len(rec.ref), *(len(a) for a in rec.alts))
    if longest > width // 2:
        raise VcfError(
            f"{at}: an allele of {longest} bp is longer than half the {width}-bp window; such variants cannot be scored in it."
        )


def vcf_chunks(vcf: str | Path, genome_path: str | Path, width: int, chunk: int = CHUNK) -> Iterator[VariantChunk]:
    """Stream a VCF as chunks of about ``chunk`` variants with their reference windows.

    Parameters
    ----------
    vcf, genome_path : str or Path
        The VCF and the reference FASTA it was called against.
    width : int
        Window length in bases (the model's input length, at most).
    chunk : int
        Variants (ALT alleles) per chunk; a record is never split.

    Raises
    ------
    VcfError
        Besides the reader's errors: a contig missing from the FASTA, a REF
        past the contig end or different from the FASTA, an allele longer
        than half the window.
    """
    genome = open_genome(genome_path)
    part = VariantChunk()
    for rec in read_vcf(vcf):
        _check_against_genome(rec, genome, f"{vcf} line {rec.line}", str(genome_path), width)
        start, end = rec.pos - 1, rec.pos - 1 + len(rec.ref)
        extra = max(0, len(rec.ref) - min(len(a) for a in rec.alts))  # right flank the deletions pull in
        window, padded = reference_window(genome, rec.chrom, start, end, width, extra)
        left = (width - len(rec.ref)) // 2
        label = f"{rec.chrom}:{rec.pos}"
        if padded:
            part.padded.append(label)
        for alt in rec.alts:
            part.edits.append(Edit(len(part.contexts), left, left + len(rec.ref), alt))
            part.ids.append(label if rec.id == "." else rec.id)
            part.chroms.append(rec.chrom)
            part.positions.append(start)
            part.refs.append(rec.ref)
            part.alts.append(alt)
        part.contexts.append(window)
        if len(part.edits) >= chunk:
            yield part
            part = VariantChunk()
    if part.edits:
        yield part
