"""Writing a motif run to a folder.

Files (coordinates 0-based, half-open):

* ``motifs.meme``: MEME minimal format (:mod:`motif.meme`); ``motifs.jaspar`` /
  ``motifs.transfac`` too when asked for.
* ``motifs.tsv``: one row per motif: id, consensus, length, instances,
  dropped_at_ends, n_pos, n_neg (sequences with a site), p, q, best database
  match (id, name, q), seed.
* ``instances.tsv``: motif, seq_id, start, end, strand, site, window_start,
  window_end, window (site and window read on the motif's strand).
* ``candidates.tsv``: every candidate: sequence, n_pos, n_neg, p, log10_p, q, kept.
* ``jaspar_matches.tsv``: motif, rank, target_id, target_name, p, E, q, offset,
  overlap, orientation.
* ``logos/<motif>.png`` and ``logos/<motif>_rc.png`` (the reverse complement; ``.svg``
  with ``logos="svg"``, none with ``logos="none"``), and ``report.html`` (self-contained,
  logos inlined in the same format).

The folder is written under a temporary name and renamed when complete. An
existing folder is replaced only when it holds nothing but these files (a
previous run), so a mistyped ``--out`` never deletes other data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dnabert.errors import InputError
from dnabert.outputs import atomic_path
from motif.meme import SUFFIX, format_counts, format_meme
from motif.pipeline import INSTANCE_COLUMNS, MotifResult
from motif.report import logo_image, render_report
from viz.logos import motif_logo

MOTIF_COLUMNS = [
    "id",
    "consensus",
    "length",
    "instances",
    "dropped_at_ends",
    "n_pos",
    "n_neg",
    "p",
    "q",
    "best_match_id",
    "best_match_name",
    "best_match_q",
    "seed",
]
TABLES = ("motifs.tsv", "instances.tsv", "candidates.tsv", "jaspar_matches.tsv")
OWN_NAMES = {*TABLES, "logos", "report.html", *(f"motifs{s}" for s in SUFFIX.values())}


def motif_table(result: MotifResult) -> pd.DataFrame:
    """``motifs.tsv`` as a DataFrame (columns :data:`MOTIF_COLUMNS`)."""
    best = result.matches[result.matches["rank"] == 1].set_index("motif")
    rows = [
        [
            m.id,
            m.consensus,
            m.ppm.shape[1],
            len(m.instances),
            m.n_edge,
            m.n_pos,
            m.n_neg,
            m.p,
            m.q,
            *(best.loc[m.id, ["target_id", "target_name", "q"]].tolist() if m.id in best.index else ["", "", float("nan")]),
            m.key,
        ]
        for m in result.motifs
    ]
    return pd.DataFrame(rows, columns=MOTIF_COLUMNS)


def check_out_dir(path: str | Path) -> Path:
    """Refuse an ``--out`` that is a file or a folder with data other than a previous run's."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder name")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in OWN_NAMES)
        if foreign:
            raise InputError(f"--out {out} already holds other files (e.g. {foreign[0]}); choose a new or empty folder")
    return out


def write_results(result: MotifResult, out_dir: str | Path, formats: tuple[str, ...] = ("meme",), logos: str = "png") -> Path:
    """Write every output file of ``result`` into ``out_dir`` (see the module docstring).

    Parameters
    ----------
    result : MotifResult
    out_dir : str or Path
        Created or replaced (only if it holds a previous run).
    formats : tuple of str
        Motif file formats among ``meme``, ``jaspar``, ``transfac``; MEME is always written.
    logos : {"png", "svg", "none"}
        Format of the logo files and of the report's logos; "none" draws no logo.

    Returns
    -------
    Path
        The folder.
    """
    out = check_out_dir(out_dir)
    motifs = result.motifs
    names = [m.id for m in motifs]
    with atomic_path(out) as tmp:
        tmp.mkdir()
        consensus = [m.consensus for m in motifs]
        meme = format_meme(
            names,
            [m.ppm for m in motifs],
            [len(m.instances) for m in motifs],
            [m.q for m in motifs],
            result.background,
            consensus,
        )
        (tmp / "motifs.meme").write_text(meme)
        for fmt in sorted(set(formats) - {"meme"}):
            (tmp / f"motifs{SUFFIX[fmt]}").write_text(format_counts(names, [m.counts for m in motifs], fmt, consensus))
        motif_table(result).to_csv(tmp / "motifs.tsv", sep="\t", index=False)
        instances = pd.concat([m.instances for m in motifs]) if motifs else pd.DataFrame(columns=INSTANCE_COLUMNS)
        instances.to_csv(tmp / "instances.tsv", sep="\t", index=False)
        result.candidates.to_csv(tmp / "candidates.tsv", sep="\t", index=False)
        result.matches.to_csv(tmp / "jaspar_matches.tsv", sep="\t", index=False)
        images = None
        if logos != "none":
            (tmp / "logos").mkdir()
            images = {m.id: logo_image(motif_logo(m.ppm.T, m.id), logos) for m in motifs}
            for m in motifs:
                (tmp / "logos" / f"{m.id}.{logos}").write_bytes(images[m.id])
                rc = motif_logo(m.ppm.T, m.id, reverse_complement=True)
                (tmp / "logos" / f"{m.id}_rc.{logos}").write_bytes(logo_image(rc, logos))
        (tmp / "report.html").write_text(render_report(result, images, logos), encoding="utf-8")
    return out
