"""One motif per factor: split motifs that are two factors, merge motifs that are the same motif, drop fragments, join variants.

Assembly (:mod:`motif.merge`) can report one factor twice (a second seed
grows from sites the first motif did not claim, at another offset or on the
other strand), can report short motifs whose enrichment comes from the
edges of a stronger motif's sites, and can lump two factors that share a
core into one motif: the seed collects sites with up to ``max_mismatches``
mismatches, so YY2's seed ATGGCGGC collects ZFP42's ATGGCTGC; YY1's
CAAAATGG is ZFP42's first 8 bases, and CTCFL's CAGGGGGC lies in CTCF, so
the shared k-mer is the most significant seed and k-mers (at most ``k_max``
= 8 bases) cannot tell the factors apart; the matrix of the mixed windows
then rescans both factors' sites and claims their regions, so the other
factor's own k-mers are left with too few unclaimed regions to seed a
motif. :func:`remove_redundant` runs on the assembled, enriched motifs (best
first) in four steps:

1. Split. The aligned windows of every motif are tested for two populations
   of sites (:func:`motif.mixture.two_populations`: a mixture of two PPMs
   against one, by BIC). When two populations fit better and each gives a
   motif of at least ``min_n_motif`` windows, the motif is split in two
   if TOMTOM's best alignment of the two parts is the windows' own (the
   same strand, offset = the difference of their trimmed starts): factors
   lumped by a shared core align on that core. A second population whose
   best alignment is elsewhere is sites of the same motif aligned at another
   offset (a repeat within the motif lets a few sites align shifted): the
   motif stays whole. The parts are split again while they split. Parts of one
   assembled motif never join one cluster in step 2, and two reported
   motifs whose representatives are parts of one assembled motif are not
   tested as each other's fragment in step 3: the windows showed two kinds
   of sites, which decides over matrix similarity and site overlap (YY1 and
   ZFP42 are similar to TOMTOM, p 1e-5.1 for the JASPAR matrices, and every
   ZFP42 site holds a YY1 site, yet ZFP42's sites differ from YY1's in 5
   extra columns). A part that joins another motif's cluster is tested
   like any motif: an edge fragment whose instances were partly on the
   sites of a stronger motif splits into those (merged into it) and the
   rest (dropped as its fragment).
2. Merge. TOMTOM (memelite, "complete score", both strands, all offsets)
   compares every motif with every other. The null distribution of column
   scores comes from the targets, so the targets are the motifs plus a fixed
   reference set (:data:`REFERENCE`, JASPAR 2024 CORE vertebrates): p-values
   do not depend on how many motifs were found (memelite warns below 25
   targets). Two motifs are similar when TOMTOM p < ``merge_pvalue`` in both
   directions. Each motif, best first, joins the strongest earlier motif it
   is similar to (a cluster's first motif is its representative; members are
   compared with representatives only). A member's instances are re-aligned
   into the representative's frame with TOMTOM's offset and orientation
   (``_realign``); the merged matrix is rebuilt from the windows around
   the union of the instances (a site found by two members counts once).
   With fewer than two motifs there is nothing to compare and TOMTOM is not
   run.
3. Drop fragments. Every motif's sites are its scan hits in the positives
   with site p-value <= ``site_pvalue`` (as in its enrichment). Motif B is
   a fragment of a stronger kept motif A when most of B's enrichment comes
   from B sites that overlap A sites and what is left is not enriched. With
   n the positives with a B site, n' those left with a B site when the B
   sites overlapping A sites are masked (in the negatives too), and e =
   n_neg x N_pos / N_neg the positives expected at the negatives' rate, B is
   dropped when (n - n') / (n - e) >= ``overlap_fraction`` and the masked
   counts' hypergeometric p >= ``q_cutoff``. This catches edge fragments
   whose own instances lie beside (not on) the stronger motif's instances:
   their words are enriched only where a strong site overlaps them. A
   distinct factor whose sites a stronger, more generic motif also hits
   (CTCF under a motif lumping CTCF and CTCFL sites) stays: its remaining
   sites are still enriched.
4. Join variants. A factor's sites with a mismatch its motif's matrix
   misses can seed a weak motif of their own: with YY2 and ZFP42 planted,
   ACGGCGG (65 instances) and ATGGTGG (96) beside YY2's ATGGCGG. TOMTOM
   finds them only loosely similar to YY2 (p 1e-3.4, 1e-2.9: above
   ``merge_pvalue``, where distinct factors lie too) and they are no
   fragments (their instances lie apart from YY2's). The sites decide, with
   the test that splits motifs: each kept motif (best first) joins the
   earlier one most similar to it (lowest TOMTOM p, below ``variant_pvalue``)
   for which one PPM explains the windows of the union of both motifs' sites
   (aligned as in step 2): :func:`motif.mixture.two_populations` gives delta_bic <= 0
   (-388 and -247 for the YY2 variants; two factors give +1481 to +3508).
   The joined motif is rebuilt from that union, as in step 2. Parts of one
   split motif never join. It runs after step 3 so that edge fragments,
   whose few windows one PPM also explains, are dropped rather than joined.

The pipeline re-tests the enrichment of the split and merged motifs
afterwards, so reported q-values describe the reported motifs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dnabert.errors import InputError
from motif.encoding import Encoded, string_codes
from motif.enrichment import hypergeom_pvalues
from motif.jaspar import jaspar_database
from motif.merge import Group
from motif.mixture import two_populations
from motif.params import JasparSource
from motif.pwm import log_odds, pvalue_threshold, site_positions

if TYPE_CHECKING:
    from motif.pipeline import Motif, MotifParams

REFERENCE = JasparSource()  # the TOMTOM reference set: the default JASPAR selection


@dataclass
class Member:
    """A motif as assembled, merged into another one.

    Attributes
    ----------
    motif : Motif
        The member before merging (its id is empty; counts, instances and
        enrichment as assembled).
    tomtom_p : float
        TOMTOM p-value of the pair (the larger of both directions); NaN for
        the representative.
    offset : int
        Representative column facing the member's column 0 is ``-offset``
        (memelite's offset, the member being the target). A member joined
        in step 4 (a variant) is aligned to the reported motif it joined,
        which for a motif merged in step 2 is the merged matrix.
    orientation : str
        ``+``, or ``-`` when the member aligns as its reverse complement.
    """

    motif: Motif
    tomtom_p: float
    offset: int
    orientation: str


@dataclass
class Dropped:
    """A motif left out as a fragment of a stronger one.

    Attributes
    ----------
    motif : Motif
        The dropped motif (id empty).
    stronger : Motif
        The reported motif that explains its enrichment.
    share : float
        (n - n') / (n - e) of the module docstring.
    p_left : float
        Enrichment p of the sites left after masking (hypergeometric).
    """

    motif: Motif
    stronger: Motif
    share: float
    p_left: float

    @property
    def reason(self) -> str:
        """One sentence for tables and reports (names the stronger motif by its id)."""
        return (
            f"fragment of {self.stronger.id}: masking its sites that overlap sites of {self.stronger.id} "
            f"removes {self.share:.0%} of its excess of positives with a site; the rest is not enriched (p = {self.p_left:.2g})"
        )


@dataclass
class Split:
    """An assembled motif whose windows are two populations of sites, reported as two motifs.

    Attributes
    ----------
    motif : Motif
        The motif as assembled (id empty).
    parts : tuple of Motif
        The two motifs built from its two populations, the larger first
        (each may have been split again).
    delta_bic : float
        :func:`motif.mixture.two_populations`'s BIC difference (> 0).
    tomtom_p : float
        TOMTOM p of the two parts (the larger of both directions).
    """

    motif: Motif
    parts: tuple[Motif, Motif]
    delta_bic: float
    tomtom_p: float

    @property
    def note(self) -> str:
        """One sentence for the run's notes."""
        a, b = self.parts
        return (
            f"the motif assembled from seed {self.motif.key} ({self.motif.consensus}, {len(self.motif.instances)} instances) "
            f"was split into {a.consensus} ({len(a.instances)}) and {b.consensus} ({len(b.instances)}): its windows are two "
            f"populations of sites (BIC difference {self.delta_bic:.0f}; TOMTOM p of the parts {self.tomtom_p:.2g})"
        )


def motif_similarity(ppms: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TOMTOM of every motif against every motif, the reference set completing the null distribution.

    Parameters
    ----------
    ppms : list of np.ndarray
        M matrices, shape (4, W_i), rows ACGT.

    Returns
    -------
    p : np.ndarray, shape (M, M)
        p[i, j]: motif i (query) against motif j (target).
    offset : np.ndarray, shape (M, M), int64
        Query column 0 faces target column ``offset`` (memelite's convention).
    minus : np.ndarray, shape (M, M), bool
        The target aligns as its reverse complement.
    """
    from motif.tomtom import tomtom

    queries = [np.asarray(m, dtype=np.float64) for m in ppms]
    p, _, offset, _, strand = tomtom(queries, queries + list(jaspar_database(REFERENCE).ppms))
    m = len(queries)
    return p[:, :m], offset[:, :m].astype(np.int64), strand[:, :m] > 0


def _realign(
    start: np.ndarray, strand: np.ndarray, width: int, offset: int, minus: bool, new_width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sites of a motif moved into the frame of another motif aligned to it.

    Parameters
    ----------
    start : np.ndarray, shape (m,), int64
        Site starts (0-based, forward-strand coordinates) of the motif (width ``width``).
    strand : np.ndarray, shape (m,), int64
        +1 / -1: the strand the motif is read on.
    width : int
    offset, minus
        TOMTOM alignment with the other motif as query and this one as
        target: target column j (of the reverse complement if ``minus``)
        faces query column j - offset.
    new_width : int
        Width of the other motif.

    Returns
    -------
    start, strand : np.ndarray, shape (m,), int64
        The other motif's sites [start, start + new_width) and strands.
    """
    strand = -strand if minus else strand
    return np.where(strand > 0, start + offset, start + width - offset - new_width), strand


def _sites(enc: Encoded, ppm: np.ndarray, background: np.ndarray, site_pvalue: float, both_strands: bool) -> np.ndarray:
    """Start (in ``enc.codes``) of every site with p-value <= ``site_pvalue``, shape (s,), int64."""
    pwm = log_odds(ppm, background)
    return site_positions(enc, pwm, pvalue_threshold(pwm, background, site_pvalue), both_strands)


def _n_sequences(enc: Encoded, sites: np.ndarray) -> int:
    """Number of sequences with at least one of the sites (starts in ``enc.codes``)."""
    return len(np.unique(enc.seq_of(sites)))


def _on_sites(sites: np.ndarray, width: int, other: np.ndarray, other_width: int) -> np.ndarray:
    """Which sites [s, s + width) overlap a site [t, t + other_width) of ``other`` (sorted starts), shape (s,), bool."""
    if not len(other):
        return np.zeros(len(sites), dtype=bool)
    nxt = np.searchsorted(other, sites - other_width, side="right")  # first other site ending after s
    return (nxt < len(other)) & (other[np.minimum(nxt, len(other) - 1)] < sites + width)


def _instance_sites(motif: Motif, index: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sequence index, start and strand (+1 / -1) of a motif's instances, shape (m,) each, int64."""
    inst = motif.instances
    seq = np.array([index[s] for s in inst["seq_id"]], dtype=np.int64)
    return seq, inst["start"].to_numpy(), np.where(inst["strand"].to_numpy() == "+", 1, -1)


def _frame_start(motif: Motif) -> int:
    """Column of its window where a built motif's trimmed matrix starts (the same for all its instances)."""
    first = motif.instances.iloc[0]
    return int(first["start"] - first["window_start"] if first["strand"] == "+" else first["window_end"] - first["end"])


def _windows(motif: Motif) -> np.ndarray:
    """A built motif's aligned windows as codes, shape (m, window_size), uint8, in the motif's orientation."""
    inst = motif.instances
    return string_codes("".join(inst["window"])).reshape(len(inst), -1)


def _split(
    motif: Motif, build: Callable[[Group], Motif | None], index: dict[str, int], background: np.ndarray, params: MotifParams
) -> tuple[list[Motif], list[Split]]:
    """Step 1 of the module docstring: the motif, or its parts (split again while they split), and the splits made."""
    second, delta_bic = two_populations(_windows(motif), params.pseudocount, background)
    if delta_bic <= 0:
        return [motif], []
    seq, start, strand = _instance_sites(motif, index)
    end = motif.instances["end"].to_numpy()
    parts = [build(Group(motif.key, seq[m], start[m], end[m], strand[m])) for m in (~second, second)]
    if parts[0] is None or parts[1] is None:
        return [motif], []
    p, offset, minus = motif_similarity([x.ppm for x in parts])
    pair_p = float(max(p[0, 1], p[1, 0]))
    if minus[0, 1] or offset[0, 1] != _frame_start(parts[0]) - _frame_start(parts[1]):
        return [motif], []  # the parts align best elsewhere: one motif's sites, some aligned at another offset
    out, splits = [], [Split(motif, (parts[0], parts[1]), float(delta_bic), pair_p)]
    for x in parts:
        more, made = _split(x, build, index, background, params)
        out += more
        splits += made
    return out, splits


def _union(
    rep: Motif, others: list[tuple[Motif, int, bool, float]], index: dict[str, int], build: Callable[[Group], Motif | None]
) -> Motif | None:
    """A motif rebuilt from the windows around ``rep``'s instances and ``others``' instances moved into its frame.

    Parameters
    ----------
    rep : Motif
        The representative (its frame is kept).
    others : list of (Motif, offset, minus, tomtom_p)
        Motifs joining it with TOMTOM's alignment (``rep`` the query, each
        one the target; :func:`_realign`) and the pair's p.
    index : dict of str to int
        Position of each positive sequence id.
    build : callable
        Group -> Motif or None (:func:`remove_redundant`).

    Returns
    -------
    Motif or None
        Built from the union of the sites (a site found twice counts once),
        with ``members``: ``rep``'s members (or ``rep`` itself) then the
        others; None when the union gives no informative column.
    """
    width = rep.ppm.shape[1]
    sites = [np.stack(_instance_sites(rep, index))]
    for m, o, mi, _ in others:
        seq, start, strand = _instance_sites(m, index)
        start, strand = _realign(start, strand, m.ppm.shape[1], o, mi, width)
        sites.append(np.stack([seq, start, strand]))
    seq, start, strand = np.unique(np.concatenate(sites, axis=1), axis=1)
    combined = build(Group(rep.key, seq, start, start + width, strand))
    if combined is not None:
        first = rep.members or [Member(rep, float("nan"), 0, "+")]
        combined.members = first + [Member(m, p, o, "-" if mi else "+") for m, o, mi, p in others]
    return combined


def _join_variants(
    motifs: list[Motif],
    origins: list[int],
    index: dict[str, int],
    background: np.ndarray,
    build: Callable[[Group], Motif | None],
    params: MotifParams,
) -> list[Motif]:
    """Step 4 of the module docstring: weaker motifs whose windows and a similar stronger motif's are one population join it."""
    if len(motifs) < 2:
        return motifs
    p, offset, minus = motif_similarity([m.ppm for m in motifs])
    pair_p = np.maximum(p, p.T)
    joined: dict[int, list[int]] = {}  # representative -> the motifs joining it
    for j in range(len(motifs)):
        for i in sorted(joined, key=lambda i: pair_p[i, j]):
            if pair_p[i, j] >= params.variant_pvalue or origins[i] == origins[j]:
                continue
            union = _union(motifs[i], [(motifs[j], int(offset[i, j]), bool(minus[i, j]), float(pair_p[i, j]))], index, build)
            if union is not None and two_populations(_windows(union), params.pseudocount, background)[1] <= 0:
                joined[i].append(j)
                break
        else:
            joined[j] = []
    out = []
    for i, js in joined.items():
        others = [(motifs[j], int(offset[i, j]), bool(minus[i, j]), float(pair_p[i, j])) for j in js]
        union = _union(motifs[i], others, index, build) if js else None
        out.extend([union] if union is not None else [motifs[i]] + [motifs[j] for j in js])
    return out


def remove_redundant(
    motifs: list[Motif],
    pos: Encoded,
    neg: Encoded,
    background: np.ndarray,
    pos_ids: list[str],
    build: Callable[[Group], Motif | None],
    params: MotifParams,
) -> tuple[list[Motif], list[Dropped], list[Split]]:
    """Split motifs of two factors, merge similar motifs and drop fragments (see the module docstring).

    Parameters
    ----------
    motifs : list of Motif
        Assembled, enriched motifs, best first.
    pos : Encoded
        The positives (N_pos sequences).
    neg : Encoded
        The negatives (N_neg sequences).
    background : np.ndarray, shape (4,)
    pos_ids : list of str
        Ids of the positives (the instances' ``seq_id``).
    build : callable
        Group -> Motif or None: windows, counts and trimming of a motif
        (``motif.pipeline.build_motif`` with its data bound).
    params : MotifParams
        ``merge_pvalue``, ``overlap_fraction``, ``variant_pvalue``, ``q_cutoff``,
        ``site_pvalue``, ``pseudocount`` and the strands are used.

    Returns
    -------
    kept : list of Motif
        Best first by the input order of their representatives (a split
        motif's parts in its place, the larger first); a merged motif has
        ``members`` (its representative first). Split parts and merged
        motifs have new matrices: re-test their enrichment.
    dropped : list of Dropped
    splits : list of Split

    Raises
    ------
    InputError
        Duplicate ids among ``pos_ids``.
    """
    if not motifs:
        return [], [], []
    index = {s: i for i, s in enumerate(pos_ids)}
    if len(index) != len(pos_ids):
        raise InputError("positive sequence ids must be unique to merge motifs: rename the duplicates")
    parts, origin, splits = [], [], []  # origin: the assembled motif each part comes from
    for i, m in enumerate(motifs):
        more, made = _split(m, build, index, background, params)
        parts += more
        origin += [i] * len(more)
        splits += made
    motifs = parts
    if len(motifs) < 2:
        return motifs, [], splits
    p, offset, minus = motif_similarity([m.ppm for m in motifs])
    pair_p = np.maximum(p, p.T)
    clusters: dict[int, list[int]] = {}
    for j in range(len(motifs)):
        similar = [
            i for i in clusters
            if pair_p[i, j] < params.merge_pvalue and all(origin[k] != origin[j] for k in clusters[i])
        ]  # fmt: skip
        if similar:
            clusters[min(similar, key=lambda i: pair_p[i, j])].append(j)
        else:
            clusters[j] = [j]
    merged, origins = [], []  # origins: the assembled motif each merged motif's representative comes from
    for rep, members in clusters.items():
        a = motifs[rep]
        if len(members) == 1:
            merged.append(a)
            origins.append(origin[rep])
            continue
        others = [(motifs[j], int(offset[rep, j]), bool(minus[rep, j]), float(pair_p[rep, j])) for j in members[1:]]
        combined = _union(a, others, index, build)
        if combined is None:  # the union gave no informative column: keep the members apart
            merged.extend(motifs[j] for j in members)
            origins.extend(origin[j] for j in members)
            continue
        merged.append(combined)
        origins.append(origin[rep])
    kept, kept_origins, dropped, kept_sites = [], [], [], []  # kept_sites: (positives, negatives) site starts
    sets = (pos, neg)
    for b, b_origin in zip(merged, origins):
        width = b.ppm.shape[1]
        sites = [_sites(enc, b.ppm, background, params.site_pvalue, params.strands) for enc in sets]
        n_pos, n_neg = (_n_sequences(enc, s) for enc, s in zip(sets, sites))
        excess = max(n_pos - n_neg * len(pos) / len(neg), 1.0)
        for a, a_origin, a_sites in zip(kept, kept_origins, kept_sites):
            if a_origin == b_origin:  # parts of one split motif: two kinds of sites, not a fragment
                continue
            a_width = a.ppm.shape[1]
            left_pos, left_neg = (
                _n_sequences(enc, s[~_on_sites(s, width, t, a_width)]) for enc, s, t in zip(sets, sites, a_sites)
            )
            share = (n_pos - left_pos) / excess
            p_left = float(hypergeom_pvalues(np.array([left_pos]), np.array([left_pos + left_neg]), len(pos), len(neg))[0][0])
            if share >= params.overlap_fraction and p_left >= params.q_cutoff:
                dropped.append(Dropped(b, a, share, p_left))
                break
        else:
            kept.append(b)
            kept_origins.append(b_origin)
            kept_sites.append(sites)
    return _join_variants(kept, kept_origins, index, background, build, params), dropped, splits
