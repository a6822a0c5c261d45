"""Explain a variant: the motif sites it creates or destroys (FIMO on the reference and the alternate allele).

For each edit (:class:`dnabert.analysis.variants.Edit`: ``seq[start:end]`` replaced by
``alt``) and each motif of the databases given (JASPAR, the motifs discovered
in a run, a user's MEME file), FIMO (``memelite.fimo``, both strands, site
p < ``threshold``) scans a window of the reference allele, ``seq[lo:hi]`` with
``lo = start - (W_max - 1)`` and ``hi = end + W_max - 1`` (clipped to the
sequence; W_max = the widest motif), and the same window with the edit applied.
A site *touches* the edit when it overlaps the edited bases: ``[s, e)``
overlaps ``[a, b)`` when ``s < b`` and ``e > a``, which for an insertion
(``a == b``) means the site spans the junction.

Per edit and motif: **destroyed** when the reference has a site touching the
edit and the alternate none; **created** the other way round (a motif with
touching sites on both alleles is neither). The row reports the best site (lowest
p) of the allele that has one: its start and end in that allele's sequence
(0-based, half-open), strand, FIMO score and p; and both alleles' FIMO scores
at that place (log2((p + 1e-4) / 0.25) summed over the columns, memelite's
score, read on the site's strand), the other allele's only when the edit keeps
the length (an indel moves the bases, so NaN).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from motif.encoding import OTHER, encode
from motif.jaspar import MotifDatabase

if TYPE_CHECKING:  # the edit type only: dnabert.analysis.variants imports the model stack
    from dnabert.analysis.variants import Edit

FIMO_EPS = 1e-4  # memelite.fimo's default pseudocount, in its score
CHANGE_COLUMNS = ["edit", "motif_id", "name", "source", "change", "start", "end", "strand", "p", "ref_score", "alt_score"]
SUMMARY_COLUMNS = ["motifs_created", "motifs_destroyed"]


def fimo_score(ppm: np.ndarray, codes: np.ndarray, reverse: bool) -> float:
    """memelite's FIMO score of one site: codes (W,) read on the forward strand; ``reverse`` scores its reverse complement.

    A non-ACGT base scores the column's lowest.
    """
    pwm = np.log2(np.asarray(ppm, dtype=np.float64) + FIMO_EPS) + 2.0
    if reverse:
        pwm = pwm[::-1, ::-1]
    padded = np.vstack([pwm, pwm.min(axis=0)])
    return float(padded[np.minimum(codes, OTHER), np.arange(pwm.shape[1])].sum())


def _windows(seqs: list[str], edits: list[Edit], flank: int):
    """Per edit: reference window, alternate window, window offset, edit span in the ref and in the alt window."""
    out = []
    for e in edits:
        s = seqs[e.seq]
        lo, hi = max(0, e.start - flank), min(len(s), e.end + flank)
        ref, alt = s[lo:hi], s[lo : e.start] + e.alt + s[e.end : hi]
        a = e.start - lo
        out.append((ref, alt, lo, (a, a + e.end - e.start), (a, a + len(e.alt))))
    return out


def _touching(sites: pd.DataFrame, spans: list[tuple[int, int]]) -> pd.DataFrame:
    a = np.array([spans[i][0] for i in sites["seq"]], dtype=np.int64)
    b = np.array([spans[i][1] for i in sites["seq"]], dtype=np.int64)
    keep = (sites["start"].to_numpy(np.int64) < b) & (sites["end"].to_numpy(np.int64) > a)
    best = sites[keep].sort_values("p", kind="stable")
    return best.drop_duplicates(["seq", "motif"]).set_index(["seq", "motif"])


def motif_changes(
    seqs: list[str], edits: list[Edit], databases: list[tuple[str, MotifDatabase]], threshold: float | None = None
) -> pd.DataFrame:
    """Motif sites created or destroyed by each edit (module docstring).

    Parameters
    ----------
    seqs : list of str
        The sequences the edits refer to (``Edit.seq`` indexes them).
    edits : list of Edit
    databases : list of (str, MotifDatabase)
        Source label (e.g. ``JASPAR2024 CORE vertebrates``, ``discovered``) and motifs.
    threshold : float, optional
        FIMO site p-value (default: :class:`~motif.params.MotifParams`'s ``site_pvalue``).

    Returns
    -------
    pandas.DataFrame
        :data:`CHANGE_COLUMNS`, one row per (edit, motif) with a change; ``edit``
        indexes ``edits``; ordered by edit, then p.
    """
    from motif.known import fimo_sites
    from motif.params import MotifParams

    threshold = MotifParams().site_pvalue if threshold is None else threshold
    ids, names, ppms, sources = [], [], [], []
    for source, db in databases:
        ids += db.ids
        names += db.names
        ppms += db.ppms
        sources += [source] * len(db)
    if not ids or not edits:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    combined = MotifDatabase("explain", tuple(ids), tuple(names), tuple(ppms))
    windows = _windows(seqs, edits, max(m.shape[1] for m in ppms) - 1)
    ref_enc, alt_enc = encode([w[0] for w in windows]), encode([w[1] for w in windows])
    ref = _touching(fimo_sites(combined, ref_enc, threshold), [w[3] for w in windows])
    alt = _touching(fimo_sites(combined, alt_enc, threshold), [w[4] for w in windows])
    rows = []
    for change, have, other in (("destroyed", ref, alt), ("created", alt, ref)):
        for (i, m), site in have[~have.index.isin(other.index)].iterrows():
            ref_win, alt_win, lo = windows[i][0], windows[i][1], windows[i][2]
            start, end, reverse = int(site["start"]), int(site["end"]), site["strand"] == "-"
            same_length = len(ref_win) == len(alt_win)
            scores = {
                allele: fimo_score(ppms[m], enc.codes[enc.starts[i] + start : enc.starts[i] + end], reverse)
                if same_length or allele == ("ref" if change == "destroyed" else "alt")
                else float("nan")
                for allele, enc in (("ref", ref_enc), ("alt", alt_enc))
            }
            rows.append(
                [i, ids[m], names[m], sources[m], change, lo + start, lo + end, site["strand"], float(site["p"])]
                + [scores["ref"], scores["alt"]]
            )
    table = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    return table.sort_values(["edit", "p"], kind="stable").reset_index(drop=True)


def change_summary(changes: pd.DataFrame, n_edits: int) -> pd.DataFrame:
    """Per edit (n_edits rows, in order): ``motifs_created`` and ``motifs_destroyed``, e.g.
    ``CTCF MA0139.2 (score 4.1 -> 17.9, p 2.1e-07)`` (one score for an indel), best first, ``; ``-separated ("" for none)."""
    out = pd.DataFrame({c: [""] * n_edits for c in SUMMARY_COLUMNS})
    for (edit, change), group in changes.groupby(["edit", "change"], sort=False):
        out.loc[edit, f"motifs_{change}"] = "; ".join(
            f"{r.name} {r.motif_id} (score {_scores(r.ref_score, r.alt_score)}, p {r.p:.2g})" for r in group.itertuples()
        )
    return out


def _scores(ref: float, alt: float) -> str:
    return f"{ref:.1f} -> {alt:.1f}" if np.isfinite(ref) and np.isfinite(alt) else f"{ref if np.isfinite(ref) else alt:.1f}"


LOCATED_COLUMNS = ["id", "position", "ref", "alt", "motif_id", "name", "source", "change", "site_start", "site_end", "strand",
                   "p", "ref_score", "alt_score"]  # fmt: skip


def located_changes(
    changes: pd.DataFrame, edits: list[Edit], ids: list[str], positions: list[int], refs: list[str], alts: list[str]
) -> pd.DataFrame:
    """:func:`motif_changes` rows named by their variant: :data:`LOCATED_COLUMNS`.

    ``ids``, ``positions``, ``refs``, ``alts`` are per edit (``positions`` in the
    coordinates the variant table uses: the sequence's, or the contig's for a
    VCF); ``site_start`` / ``site_end`` are the site's in the same coordinates
    (in the allele that has the site). Empty alleles are written ``-``.
    """
    k = changes["edit"].to_numpy(np.int64)
    offset = np.array([positions[i] - edits[i].start for i in k], dtype=np.int64)  # position of the sequence's base 0
    located = pd.DataFrame(
        {
            "id": [ids[i] for i in k],
            "position": [positions[i] for i in k],
            "ref": [refs[i] or "-" for i in k],
            "alt": [alts[i] or "-" for i in k],
            "site_start": changes["start"].to_numpy(np.int64) + offset,
            "site_end": changes["end"].to_numpy(np.int64) + offset,
        }
    )
    for c in ("motif_id", "name", "source", "change", "strand", "p", "ref_score", "alt_score"):
        located[c] = changes[c].to_numpy()
    return located[LOCATED_COLUMNS]
