"""Which known motifs does the model look at? Sites, enrichment and attention for every motif of a database.

For each motif of a :class:`motif.jaspar.MotifDatabase` (JASPAR via pyjaspar,
or a user's MEME file):

1. **Sites.** FIMO (``memelite.fimo``, both strands, site p < ``threshold``,
   1e-4 by default) in the positive and the negative sequences. Sequences
   are scanned as one concatenated array with an N between neighbours; a
   hit that would span two sequences is dropped.
2. **Enrichment.** x of n_pos positives and y of n_neg negatives contain a
   site; p = P(X >= x), X ~ Hypergeom(n_pos + n_neg, n_pos, x + y) (the
   one-sided Fisher exact test; :func:`motif.enrichment.hypergeom_pvalues`),
   q = Benjamini-Hochberg over the motifs. ``log2_enrichment`` =
   log2(((x + 0.5) / (n_pos + 1)) / ((y + 0.5) / (n_neg + 1))).
3. **Attention.** For every site in a positive: the mean per-nucleotide
   attention over the site, and over its matched flanks, the windows of the
   site's width ``gap`` bases to its left and right (those inside the
   sequence; a site with neither is left out). ``attention_log2_ratio`` =
   log2(mean of site means / mean of flank means) over the motif's sites;
   its p-value is the one-sided Wilcoxon signed-rank test of site mean >
   flank mean, paired by site (rank-based; ``scipy.stats.wilcoxon``), BH over
   the motifs tested. Motifs with fewer than ``min_sites`` such sites get NaN.

Ranks: ``rank_enrichment`` by log10 p (exact where p underflows; then log2
enrichment); ``rank_attention`` by
the attention p-value (then the ratio) among the motifs with an attention
score: the strength of the evidence, so a motif with five sites and a large
ratio does not outrank one with a hundred. The table is sorted by
``rank_enrichment``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control, wilcoxon

from motif.encoding import OTHER, Encoded, encode
from motif.enrichment import hypergeom_pvalues
from motif.jaspar import MotifDatabase
from motif.params import KnownParams

KNOWN_COLUMNS = [
    "motif_id",
    "name",
    "n_pos",
    "n_neg",
    "frac_pos",
    "frac_neg",
    "log2_enrichment",
    "p",
    "log10_p",
    "q",
    "n_sites",
    "site_attention",
    "flank_attention",
    "attention_log2_ratio",
    "attention_p",
    "attention_q",
    "rank_enrichment",
    "rank_attention",
]
SITE_COLUMNS = ["motif_id", "name", "set", "seq", "seq_id", "start", "end", "strand", "score", "p", "attention", "flank"]


@dataclass
class KnownMotifResult:
    """Output of :func:`known_motif_attention`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per database motif, :data:`KNOWN_COLUMNS`, sorted by ``rank_enrichment``.
    sites : pandas.DataFrame
        Every FIMO site, :data:`SITE_COLUMNS`; ``set`` is ``pos`` or ``neg``,
        ``seq`` the index in that set, ``start``/``end`` 0-based half-open in
        the sequence, ``attention``/``flank`` the site and flank means (NaN
        for negatives and sites without a flank).
    n_pos, n_neg : int
    database : str
    """

    table: pd.DataFrame
    sites: pd.DataFrame
    n_pos: int
    n_neg: int
    database: str


def one_hot(enc: Encoded) -> np.ndarray:
    """(1, 4, T) int8 one-hot of a concatenated code array; N and separators are all-zero columns."""
    out = np.zeros((1, 4, len(enc.codes)), dtype=np.int8)
    acgt = np.flatnonzero(enc.codes != OTHER)
    out[0, enc.codes[acgt], acgt] = 1
    return out


def fimo_sites(database: MotifDatabase, enc: Encoded, threshold: float = KnownParams.threshold) -> pd.DataFrame:
    """FIMO sites of every database motif in the encoded sequences.

    Returns
    -------
    pandas.DataFrame
        Columns ``motif`` (database index), ``seq``, ``start``, ``end`` (0-based,
        half-open, in the sequence), ``strand``, ``score``, ``p``.
    """
    from memelite import fimo

    columns = ["motif", "seq", "start", "end", "strand", "score", "p"]
    if not len(database) or not len(enc):
        return pd.DataFrame(columns=columns)
    motifs = {str(i): np.asarray(m, dtype=np.float64) for i, m in enumerate(database.ppms)}
    hits = [h for h in fimo(motifs, one_hot(enc), threshold=threshold) if len(h)]
    if not hits:
        return pd.DataFrame(columns=columns)
    h = pd.concat(hits, ignore_index=True)
    gstart, gend = h["start"].to_numpy(np.int64), h["end"].to_numpy(np.int64)
    seq = enc.seq_of(gstart)
    start = gstart - enc.starts[seq]
    inside = gend - enc.starts[seq] <= enc.lengths[seq]
    return pd.DataFrame(
        {
            "motif": h["motif_idx"].to_numpy(np.int64),
            "seq": seq,
            "start": start,
            "end": start + (gend - gstart),
            "strand": h["strand"].to_numpy(object),
            "score": h["score"].to_numpy(np.float64),
            "p": h["p-value"].to_numpy(np.float64),
        }
    )[inside].reset_index(drop=True)


def site_and_flank_attention(
    scores: list[np.ndarray], seq: np.ndarray, start: np.ndarray, end: np.ndarray, gap: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean attention over each site and over its matched flanks.

    Parameters
    ----------
    scores : list of np.ndarray
        Per-nucleotide attention of each sequence, shape (L_i,).
    seq, start, end : np.ndarray, shape (m,), int64
        Sites [start, end) on sequence ``seq``.
    gap : int
        Bases between a site and each flank window (flanks have the site's width).

    Returns
    -------
    site, flank : np.ndarray, shape (m,), float64
        ``flank`` is the mean over the bases of the flank windows that lie inside
        the sequence (both windows have the same width, so this is the mean of
        their means); NaN when neither does.
    """
    lengths = np.array([len(s) for s in scores], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    csum = np.concatenate([[0.0], np.cumsum(np.concatenate(scores).astype(np.float64))]) if len(scores) else np.zeros(1)
    width = end - start
    base, length = offsets[seq], lengths[seq]

    def window_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return csum[base + b] - csum[base + a]

    site = window_sum(start, end) / width
    left_a, left_b = start - gap - width, start - gap
    right_a, right_b = end + gap, end + gap + width
    has_left, has_right = left_a >= 0, right_b <= length
    total = np.where(has_left, window_sum(np.clip(left_a, 0, None), np.clip(left_b, 0, None)), 0.0)
    total += np.where(has_right, window_sum(np.minimum(right_a, length), np.minimum(right_b, length)), 0.0)
    n = (has_left.astype(np.int64) + has_right) * width
    with np.errstate(invalid="ignore", divide="ignore"):
        flank = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    return site, flank


def known_motif_attention(
    positives: list[str],
    scores: list[np.ndarray],
    negatives: list[str],
    database: MotifDatabase,
    pos_ids: list[str] | None = None,
    neg_ids: list[str] | None = None,
    params: KnownParams = KnownParams(),
) -> KnownMotifResult:
    """Enrichment and attention at the sites of every database motif (see the module docstring).

    Parameters
    ----------
    positives : list of str
        n_pos sequences.
    scores : list of np.ndarray
        Per-nucleotide attention of each positive, shape (L_i,).
    negatives : list of str
        n_neg sequences (e.g. dinucleotide-shuffled positives).
    database : MotifDatabase
    pos_ids, neg_ids : list of str, optional
        Sequence ids for the sites table (default: ``pos<i>`` / ``neg<i>``).
    params : KnownParams
        FIMO site p-value (``threshold``), bases between a site and its flank windows (``gap``),
        fewest positive sites with flanks for an attention score (``min_sites``).

    Returns
    -------
    KnownMotifResult
    """
    if len(scores) != len(positives) or any(len(t) != len(s) for t, s in zip(scores, positives)):
        raise ValueError("scores must give one track per positive sequence, of its length")
    params.check()
    threshold, gap, min_sites = params.threshold, params.gap, params.min_sites
    pos_ids = pos_ids or [f"pos{i}" for i in range(len(positives))]
    neg_ids = neg_ids or [f"neg{i}" for i in range(len(negatives))]
    n_pos, n_neg, n_motifs = len(positives), len(negatives), len(database)
    pos_sites = fimo_sites(database, encode(positives), threshold)
    neg_sites = fimo_sites(database, encode(negatives), threshold)
    x = _sequences_with_site(pos_sites, n_motifs)
    y = _sequences_with_site(neg_sites, n_motifs)
    p, log10_p = hypergeom_pvalues(x, x + y, n_pos, n_neg)
    q = false_discovery_control(p) if n_motifs else p
    log2_enrichment = np.log2(((x + 0.5) / (n_pos + 1)) / ((y + 0.5) / (n_neg + 1)))

    site, flank = site_and_flank_attention(
        scores,
        pos_sites["seq"].to_numpy(np.int64),
        pos_sites["start"].to_numpy(np.int64),
        pos_sites["end"].to_numpy(np.int64),
        gap,
    )
    stats = np.full((n_motifs, 5), np.nan)  # n_sites, site mean, flank mean, log2 ratio, p
    stats[:, 0] = 0
    usable = ~np.isnan(flank)
    motif_of = pos_sites["motif"].to_numpy(np.int64)
    for m in np.unique(motif_of[usable]):
        sel = usable & (motif_of == m)
        a, b = site[sel], flank[sel]
        stats[m, 0] = sel.sum()
        if sel.sum() < min_sites:
            continue
        stats[m, 1], stats[m, 2] = a.mean(), b.mean()
        stats[m, 3] = np.log2(a.mean() / b.mean()) if b.mean() > 0 else np.inf
        diff = a - b
        stats[m, 4] = wilcoxon(diff, alternative="greater").pvalue if np.any(diff != 0) else 1.0
    attention_q = np.full(n_motifs, np.nan)
    tested = ~np.isnan(stats[:, 4])
    if tested.any():
        attention_q[tested] = false_discovery_control(stats[tested, 4])
    table = pd.DataFrame(
        {
            "motif_id": list(database.ids),
            "name": list(database.names),
            "n_pos": x,
            "n_neg": y,
            "frac_pos": x / max(n_pos, 1),
            "frac_neg": y / max(n_neg, 1),
            "log2_enrichment": log2_enrichment,
            "p": p,
            "log10_p": log10_p,
            "q": q,
            "n_sites": stats[:, 0].astype(np.int64),
            "site_attention": stats[:, 1],
            "flank_attention": stats[:, 2],
            "attention_log2_ratio": stats[:, 3],
            "attention_p": stats[:, 4],
            "attention_q": attention_q,
        }
    )
    order = np.lexsort((-log2_enrichment, log10_p))  # log10 p keeps its order where p underflows to 0
    table["rank_enrichment"] = np.argsort(order) + 1
    by_attention = np.lexsort((-np.nan_to_num(stats[:, 3], nan=-np.inf), np.nan_to_num(stats[:, 4], nan=np.inf)))
    rank_attention = pd.array(np.argsort(by_attention) + 1, dtype="Int64")
    rank_attention[~tested] = pd.NA
    table["rank_attention"] = rank_attention
    table = table.iloc[order].reset_index(drop=True)[KNOWN_COLUMNS]
    sites = pd.concat(
        [
            _site_table(pos_sites, database, "pos", pos_ids, site, flank),
            _site_table(neg_sites, database, "neg", neg_ids, np.full(len(neg_sites), np.nan), np.full(len(neg_sites), np.nan)),
        ],
        ignore_index=True,
    )
    return KnownMotifResult(table=table, sites=sites, n_pos=n_pos, n_neg=n_neg, database=database.name)


def _sequences_with_site(sites: pd.DataFrame, n_motifs: int) -> np.ndarray:
    """Number of distinct sequences with at least one site, per motif: shape (n_motifs,)."""
    pairs = sites[["motif", "seq"]].drop_duplicates()
    return np.bincount(pairs["motif"].to_numpy(np.int64), minlength=n_motifs).astype(np.int64)


def _site_table(sites: pd.DataFrame, database: MotifDatabase, which: str, ids: list[str], attention, flank) -> pd.DataFrame:
    m = sites["motif"].to_numpy(np.int64)
    seq = sites["seq"].to_numpy(np.int64)
    return pd.DataFrame(
        {
            "motif_id": np.array(database.ids, dtype=object)[m],  # object columns also when there is no site
            "name": np.array(database.names, dtype=object)[m],
            "set": which,
            "seq": seq,
            "seq_id": np.array(ids, dtype=object)[seq],
            "start": sites["start"].to_numpy(np.int64),
            "end": sites["end"].to_numpy(np.int64),
            "strand": sites["strand"].to_numpy(object),
            "score": sites["score"].to_numpy(np.float64),
            "p": sites["p"].to_numpy(np.float64),
            "attention": attention,
            "flank": flank,
        },
        columns=SITE_COLUMNS,
    )
