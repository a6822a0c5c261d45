"""Checks on a reference FASTA before pyfaidx opens it, so that it never returns wrong bases silently.

pyfaidx trusts an existing ``.fai`` index: when the FASTA was edited after the
index was written (and the index looks newer, e.g. after a copy), it returns
bases from the wrong offsets. It also refuses a byte order mark and duplicate
contig names with messages that do not say what to do.
"""

from __future__ import annotations

from pathlib import Path

from dnabert.errors import InputError

BOM = b"\xef\xbb\xbf"
GZIP = b"\x1f\x8b"


def check_genome_file(path: Path, error=InputError) -> None:
    """Raise ``error`` for a FASTA with a byte order mark, or an index that does not fit it (see :func:`check_index`)."""
    with open(path, "rb") as fh:
        head = fh.read(3)
    if head.startswith(BOM):
        raise error(
            f"{path}: starts with a UTF-8 byte order mark, which an indexed FASTA cannot have; "
            "save it without one (e.g. sed -i '1s/^\\xEF\\xBB\\xBF//')"
        )
    fai = path.with_name(path.name + ".fai")
    if fai.is_file() and not head.startswith(GZIP):  # a bgzip FASTA's offsets are into the decompressed data
        check_index(path, fai, error)


def check_index(fasta: Path, fai: Path, error=InputError) -> None:
    """Raise ``error`` when ``fai`` names a contig twice or does not describe ``fasta`` as it is now.

    Every record must start right after its own header line (``>name ...``)
    and end inside the file.
    """
    stale = f"{fai} does not match {fasta} (the FASTA changed after the index was made): delete {fai.name} and it is rebuilt"
    try:
        rows = [line.split("\t") for line in fai.read_text().splitlines() if line.strip()]
        entries = [(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]
    except (ValueError, IndexError, UnicodeDecodeError):
        raise error(f"{fai}: not a FASTA index: delete it and it is rebuilt") from None
    seen: set[str] = set()
    size = fasta.stat().st_size
    with open(fasta, "rb") as fh:
        for name, length, offset, line_bases, line_width in entries:
            if name in seen:
                raise error(f"{fasta}: contig '{name}' occurs more than once; contig names must be unique")
            seen.add(name)
            if line_bases < 1 or line_width < line_bases or offset < 2:
                raise error(stale)
            end = offset + (length // line_bases) * line_width + length % line_bases
            fh.seek(max(0, offset - 4096))
            before = fh.read(offset - max(0, offset - 4096))
            header = before[:-1].rsplit(b"\n", 1)[-1]
            title = header[1:].split(maxsplit=1)[0] if header[1:].split() else b""
            if end > size or not before.endswith(b"\n") or not header.startswith(b">") or title != name.encode():
                raise error(stale)


def duplicate_contig_error(fasta: Path, message: str, error=InputError) -> InputError:
    """pyfaidx's ``Duplicate key "name"`` as a clear error."""
    name = message.split('"')[1] if message.count('"') >= 2 else message
    return error(f"{fasta}: contig '{name}' occurs more than once; contig names must be unique")
