"""Writing a motif run to a folder.

Files (coordinates 0-based, half-open):

* ``motifs.meme``: MEME minimal format (:mod:`motif.meme`); ``motifs.jaspar`` /
  ``motifs.transfac`` too when asked for.
* ``motifs.tsv``: one row per motif: id, consensus, length, instances,
  dropped_at_ends, n_pos, n_neg (sequences with a site), p, q, best database
  match (id, name, q), seed; then, when the cause check ran (:mod:`motif.cause`),
  insertion_n, insertion_effect, insertion_low, insertion_high (95% interval),
  insertion_p, insertion_q, the same for ablation, and verdict.
* ``instances.tsv``: motif, seq_id, start, end, strand, site, window_start,
  window_end, window (site and window read on the motif's strand); then
  chrom, chrom_start, chrom_end, chrom_strand when the caller placed the
  instances on the genome (:func:`motif.bed.locate_instances`).
* ``instances.bed``: the instances as BED6 (chrom, start, end, name = motif
  id, score, strand) for genome browsers: at their genome positions where
  their sequence has coordinates, else chrom = sequence id and sequence
  offsets; score = the site's relative PWM score (``(s - min) / (max - min)``
  of its motif's log-odds against the background) x 1000, rounded
  (:func:`motif.bed.instance_bed`).
* ``candidates.tsv``: every candidate: sequence, n_pos, n_neg, p, log10_p, q, kept.
* ``jaspar_matches.tsv``: motif, rank, target_id, target_name, p, E, q, offset,
  overlap, orientation.
* ``merged.tsv``: the merge history (:mod:`motif.redundancy`), one row per
  member of a merged motif, its representative first: motif, member
  (consensus as assembled), seed, instances, n_pos, n_neg, p (enrichment as
  assembled), tomtom_p, offset, orientation (its alignment to the representative).
* ``dropped.tsv``: motifs left out as fragments: consensus, seed, instances,
  n_pos, n_neg, p (as assembled), fragment_of, share, reason.
* with ``--evidence all`` (:func:`write_evidence_results`): one such folder per
  evidence kind (``attention/``, ``attribution/``, ``ism/``), ``agreement.tsv``
  (:mod:`motif.agreement`: which motifs every kind finds, which only one) and a
  ``report.html`` with that table and links to the kinds' reports.
* ``report.html`` (self-contained), and, when images are passed in,
  ``logos/<motif>.<png|svg>`` and ``logos/<motif>_rc.<png|svg>`` (the reverse
  complement), drawn by a higher layer (:func:`viz.motif_images.motif_images`).

The folder is written under a temporary name and renamed when complete. An
existing folder is replaced only when a previous run wrote it (it holds
:data:`dnabert.outputs.MARKER`) and nothing else was added, so a mistyped
``--out`` never deletes other data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dnabert.errors import InputError
from dnabert.genome.tracks import write_bed
from dnabert.options import EVIDENCE_KINDS
from dnabert.outputs import MARKER, atomic_path, check_output_folder
from motif.bed import instance_bed
from motif.meme import SUFFIX, format_counts, format_meme
from motif.pipeline import INSTANCE_COLUMNS, MotifResult
from motif.report import MotifImages, render_agreement_report, render_report

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
    "top_matches",
    "seed",
]
TOP_MATCHES = 3
"""How many JASPAR matches ``top_matches`` names, best first, e.g. ``ZFP42 (q 1.2e-05), YY1 (q 3.4e-04)``."""
MERGED_COLUMNS = ["motif", "member", "seed", "instances", "n_pos", "n_neg", "p", "tomtom_p", "offset", "orientation"]
DROPPED_COLUMNS = ["consensus", "seed", "instances", "n_pos", "n_neg", "p", "fragment_of", "share", "reason"]
TABLES = ("motifs.tsv", "instances.tsv", "candidates.tsv", "jaspar_matches.tsv", "merged.tsv", "dropped.tsv")
AGREEMENT_FILE = "agreement.tsv"
OWN_NAMES = {*TABLES, "instances.bed", "logos", "report.html", MARKER, *(f"motifs{s}" for s in SUFFIX.values())}
OWN_NAMES |= {*EVIDENCE_KINDS, AGREEMENT_FILE}  # an --evidence all run


def motif_table(result: MotifResult) -> pd.DataFrame:
    """``motifs.tsv`` as a DataFrame (columns :data:`MOTIF_COLUMNS`)."""
    best = result.matches[result.matches["rank"] == 1].set_index("motif")
    top = {
        motif: ", ".join(f"{r.target_name} (q {r.q:.2g})" for r in group.sort_values("rank").head(TOP_MATCHES).itertuples())
        for motif, group in result.matches.groupby("motif")
    }
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
            top.get(m.id, ""),
            m.key,
        ]
        for m in result.motifs
    ]
    table = pd.DataFrame(rows, columns=MOTIF_COLUMNS)
    if result.cause is not None:  # the cause check's columns (motif.cause), rows in the same order
        table = pd.concat([table, result.cause.drop(columns=["motif_id", "name"]).reset_index(drop=True)], axis=1)
    return table


def merged_table(result: MotifResult) -> pd.DataFrame:
    """``merged.tsv`` as a DataFrame (columns :data:`MERGED_COLUMNS`)."""
    rows = [
        [m.id, x.motif.consensus, x.motif.key, len(x.motif.instances), x.motif.n_pos, x.motif.n_neg, x.motif.p]
        + [x.tomtom_p, x.offset, x.orientation]
        for m in result.motifs
        for x in m.members
    ]
    return pd.DataFrame(rows, columns=MERGED_COLUMNS)


def dropped_table(result: MotifResult) -> pd.DataFrame:
    """``dropped.tsv`` as a DataFrame (columns :data:`DROPPED_COLUMNS`)."""
    rows = [
        [d.motif.consensus, d.motif.key, len(d.motif.instances), d.motif.n_pos, d.motif.n_neg, d.motif.p]
        + [d.stronger.id, d.share, d.reason]
        for d in result.dropped
    ]
    return pd.DataFrame(rows, columns=DROPPED_COLUMNS)


def check_out_dir(path: str | Path) -> Path:
    """Refuse an ``--out`` that is a file, a folder this project did not write, or one with other data added."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder name")
    _refuse_foreign_files(out)
    return check_output_folder(out)


def _refuse_foreign_files(out: Path) -> None:
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in OWN_NAMES)
        if foreign:
            raise InputError(f"--out {out} already holds other files (e.g. {foreign[0]}); choose a new or empty folder")


def write_results(
    result: MotifResult, out_dir: str | Path, formats: tuple[str, ...] = ("meme",), images: MotifImages | None = None
) -> Path:
    """Write every output file of ``result`` into ``out_dir`` (see the module docstring).

    Parameters
    ----------
    result : MotifResult
    out_dir : str or Path
        Created or replaced (only if it holds a previous run).
    formats : tuple of str
        Motif file formats among ``meme``, ``jaspar``, ``transfac``; MEME is always written.
    images : MotifImages, optional
        Logos to write and to show in the report (none without).

    Returns
    -------
    Path
        The folder.
    """
    out = Path(out_dir)
    _refuse_foreign_files(out)  # what else is refused is checked when the folder is renamed into place
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
        write_bed(tmp / "instances.bed", instance_bed(motifs, result.background), "motif instances")
        result.candidates.to_csv(tmp / "candidates.tsv", sep="\t", index=False)
        result.matches.to_csv(tmp / "jaspar_matches.tsv", sep="\t", index=False)
        merged_table(result).to_csv(tmp / "merged.tsv", sep="\t", index=False)
        dropped_table(result).to_csv(tmp / "dropped.tsv", sep="\t", index=False)
        if images is not None:
            (tmp / "logos").mkdir()
            for m in motifs:
                (tmp / "logos" / f"{m.id}.{images.fmt}").write_bytes(images.logos[m.id])
                (tmp / "logos" / f"{m.id}_rc.{images.fmt}").write_bytes(images.reverse_complements[m.id])
        (tmp / "report.html").write_text(render_report(result, images), encoding="utf-8")
    return out


def write_evidence_results(
    results: dict[str, MotifResult],
    agreement: pd.DataFrame,
    out_dir: str | Path,
    formats: tuple[str, ...] = ("meme",),
    images: dict[str, MotifImages | None] | None = None,
) -> Path:
    """Write the runs of ``--evidence all``: one :func:`write_results` folder per kind, ``agreement.tsv`` and the report.

    Parameters
    ----------
    results : dict of str to MotifResult
        Evidence kind -> its run.
    agreement : pandas.DataFrame
        :func:`motif.agreement.agreement_table` of the runs.
    out_dir : str or Path
        Created or replaced (only if it holds a previous run).
    formats : tuple of str
    images : dict of str to MotifImages, optional
        Logos per kind.

    Returns
    -------
    Path
    """
    out = Path(out_dir)
    _refuse_foreign_files(out)
    with atomic_path(out) as tmp:
        tmp.mkdir()
        for kind, result in results.items():
            write_results(result, tmp / kind, formats, (images or {}).get(kind))
        agreement.to_csv(tmp / AGREEMENT_FILE, sep="\t", index=False)
        (tmp / "report.html").write_text(render_agreement_report(agreement, results), encoding="utf-8")
    return out
