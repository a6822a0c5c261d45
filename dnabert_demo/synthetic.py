"""Planted-motif synthetic data: sequences with known binding sites, for training and checking.

Design (the demo model's data, :func:`make_planted_dataset`)
----------------------------------------------------------
* Background: a first-order Markov chain whose transition probabilities come
  from approximate human (hg38) dinucleotide frequencies
  (:data:`HUMAN_DINUCLEOTIDES`): about 41% GC and CpG depleted to a quarter of
  its expected frequency, as in the human genome.
* Positives: a background sequence with 1 or 2 sites (equally likely), each of
  a motif chosen uniformly among ``motifs``, at a random position (sites never
  overlap), on a random strand. A site is sampled base by base from the
  motif's JASPAR matrix and kept only when its relative PWM score
  ``(s - min) / (max - min)`` is at least ``min_rel_score`` (real bound sites
  are strong; very weak samples make the labels noisy). Sites keep ``margin``
  bases away from both ends (edge bases are covered by fewer k-mers).
* Negatives: ``shuffled_fraction`` of them are dinucleotide shuffles of
  positives (same composition as a positive, sites destroyed), the rest are
  background only. So neither GC content nor dinucleotide composition
  separates the classes: only the sites do.

Motifs are versioned JASPAR matrix ids read offline from pyjaspar's bundled
JASPAR 2024 database, e.g. ``MA0139.2`` (CTCF, 15 bp) and ``MA0095.2`` (YY1,
12 bp, the classic AAnATGGCG; note that ``MA0095`` alone would mean the latest
version, MA0095.4, an 8-bp CAAAATGG, so a version is required). Everything is
seeded by ``seed``.

Scores use log2-odds against the uniform background with a pseudocount of 0.01
per cell on the probability scale (:func:`site_pwm`); :func:`scan_best` scans
both strands with :mod:`motif.pwm`: the "PWM ceiling" of a classifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dnabert_demo import DEFAULT_MOTIFS, JASPAR_RELEASE
from dnabert.analysis.inference import kmer_to_nucleotide, l2_normalize
from dnabert.outputs import atomic_path
from dnabert.sequences import BASES, dinucleotide_shuffle, reverse_complement
from motif.encoding import encode
from motif.jaspar import jaspar_matrix
from motif.pwm import best_scores, log_odds, probabilities, scan, score_range

SITE_PSEUDOCOUNT = 0.04  # per column, spread over the uniform background: 0.01 per cell of a PPM

# Approximate dinucleotide frequencies of the human genome (hg38), percent; row = first base,
# column = second base, both in ACGT order. CpG (row C, column G) is depleted about 4-fold.
HUMAN_DINUCLEOTIDES = np.array(
    [
        [9.8, 5.0, 7.0, 7.6],
        [7.2, 5.2, 1.0, 7.0],
        [5.9, 4.3, 5.2, 5.0],
        [6.6, 5.9, 7.2, 9.8],
    ]
)
TRANSITIONS = HUMAN_DINUCLEOTIDES / HUMAN_DINUCLEOTIDES.sum(axis=1, keepdims=True)  # P(next | previous)
INITIAL = HUMAN_DINUCLEOTIDES.sum(axis=1) / HUMAN_DINUCLEOTIDES.sum()  # P(first base)

_LETTERS = np.frombuffer(BASES.encode(), dtype="S1")


def motif_ppm(matrix_id: str) -> np.ndarray:
    """PPM (4, W), rows ACGT, of a versioned JASPAR matrix id of :data:`JASPAR_RELEASE`."""
    return jaspar_matrix(matrix_id, JASPAR_RELEASE)[1]


def site_pwm(ppm: np.ndarray) -> np.ndarray:
    """Log2-odds (4, W) against the uniform background of a PPM smoothed by :data:`SITE_PSEUDOCOUNT`."""
    return log_odds(probabilities(ppm, SITE_PSEUDOCOUNT))


def markov_background(n: int, length: int, rng: np.random.Generator) -> list[str]:
    """n sequences of ``length`` bases from the human-like first-order Markov chain (:data:`TRANSITIONS`)."""
    codes = np.empty((n, length), dtype=np.int64)
    cum = np.cumsum(TRANSITIONS, axis=1)
    codes[:, 0] = np.minimum((rng.random((n, 1)) > np.cumsum(INITIAL)).sum(axis=1), 3)
    for j in range(1, length):
        codes[:, j] = np.minimum((rng.random((n, 1)) > cum[codes[:, j - 1]]).sum(axis=1), 3)
    return [row.decode() for row in _LETTERS[codes].view(f"S{length}").ravel()]


def uniform_background(n: int, length: int, rng: np.random.Generator) -> list[str]:
    """n sequences of ``length`` bases, each base uniform over A, C, G, T."""
    codes = rng.integers(0, 4, size=(n, length))
    return [row.decode() for row in _LETTERS[codes].view(f"S{length}").ravel()]


BACKGROUNDS = {"human": markov_background, "uniform": uniform_background}


def relative_scores(scores: np.ndarray, pwm: np.ndarray) -> np.ndarray:
    """``(s - min) / (max - min)`` of site scores under a (4, W) PWM (1 = the best possible site)."""
    lo, hi = score_range(pwm)
    return (np.asarray(scores) - lo) / (hi - lo)


def scan_best(seqs: list[str], pwms: list[np.ndarray]) -> np.ndarray:
    """Best relative PWM score per sequence over all motifs and both strands, shape (n,) float64.

    Relative scores (:func:`relative_scores`) let motifs of different lengths
    compare; this is the score of the "PWM ceiling" classifier.
    """
    enc = encode(seqs)
    return np.max([relative_scores(best_scores(enc, pwm), pwm) for pwm in pwms], axis=0)


def sample_site(
    ppm: np.ndarray, rng: np.random.Generator, min_rel_score: float = 0.8, pwm: np.ndarray | None = None
) -> tuple[str, float]:
    """Draw a site from ``ppm`` (4, W), redrawing until its relative score >= ``min_rel_score``.

    Returns the site (forward strand of the motif) and its relative score.
    """
    pwm = site_pwm(ppm) if pwm is None else pwm
    for _ in range(100_000):
        idx = (rng.random((ppm.shape[1], 1)) > np.cumsum(ppm.T, axis=1)).sum(axis=1)
        site = "".join(BASES[min(i, 3)] for i in idx)
        forward, _ = scan(encode([site]).codes, pwm, slice(0, 1))
        rel = float(relative_scores(forward[0], pwm))
        if rel >= min_rel_score:
            return site, rel
    raise ValueError(f"could not draw a site with relative score >= {min_rel_score}; lower min_rel_score")


@dataclass
class PlantedData:
    """Sequences with labels and the ground truth of planted sites.

    Attributes
    ----------
    ids, seqs : list of str
    labels : np.ndarray, shape (n,), int64
        1 = has a planted site, 0 = negative.
    kind : list of str
        ``"planted"``, ``"background"`` or ``"shuffled"`` per sequence.
    sites : pandas.DataFrame
        One row per planted site: id, motif, jaspar_id, start, end (0-based,
        half-open), strand (+/-), site (as read on the sequence's + strand),
        rel_score.
    """

    ids: list[str]
    seqs: list[str]
    labels: np.ndarray
    kind: list[str]
    sites: pd.DataFrame
    params: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.seqs)

    def subset(self, idx: np.ndarray) -> PlantedData:
        idx = np.asarray(idx)
        keep = {self.ids[i] for i in idx}
        return PlantedData(
            ids=[self.ids[i] for i in idx],
            seqs=[self.seqs[i] for i in idx],
            labels=self.labels[idx],
            kind=[self.kind[i] for i in idx],
            sites=self.sites[self.sites["id"].isin(keep)].reset_index(drop=True),
            params=dict(self.params),
        )


def make_planted_dataset(
    n_pos: int,
    n_neg: int,
    length: int = 100,
    motifs: tuple[str, ...] = DEFAULT_MOTIFS,
    min_rel_score: float = 0.8,
    shuffled_fraction: float = 0.5,
    margin: int = 5,
    max_sites: int = 2,
    seed: int = 0,
    prefix: str = "",
    background: str = "human",
) -> PlantedData:
    """Positives with 1..``max_sites`` planted sites, negatives part background, part shuffled positives.

    Sequences are interleaved in a seeded random order. Ids are
    ``<prefix>pos<N>`` / ``<prefix>neg<N>``. See the module docstring.

    Parameters
    ----------
    n_pos, n_neg : int
    length : int
        Sequence length (bp).
    motifs : tuple of str
        Versioned JASPAR matrix ids.
    min_rel_score : float
        Sampled sites below this relative PWM score are redrawn.
    shuffled_fraction : float
        Share of negatives that are dinucleotide-shuffled positives.
    margin : int
        Bases kept free of sites at both ends.
    max_sites : int
        Each positive gets between 1 and ``max_sites`` non-overlapping sites.
    seed : int
    prefix : str
    background : {"human", "uniform"}
        The human-like Markov chain (:func:`markov_background`) or uniform bases.
    """
    if n_pos < 1 or n_neg < 0:
        raise ValueError("n_pos must be >= 1 and n_neg >= 0")
    make_background = BACKGROUNDS[background]
    named = [jaspar_matrix(m, JASPAR_RELEASE) for m in motifs]
    ppms = [ppm for _, ppm in named]
    pwms = [site_pwm(p) for p in ppms]
    widths = [p.shape[1] for p in ppms]
    if length < max_sites * max(widths) + 2 * margin:
        raise ValueError(f"length {length} is too short for {max_sites} sites of up to {max(widths)} bp with {margin}-bp margins")
    rng = np.random.default_rng(seed)
    pos = make_background(n_pos, length, rng)
    site_rows = []
    for i in range(n_pos):
        taken = np.zeros(length, dtype=bool)
        rows = []
        for _ in range(int(rng.integers(1, max_sites + 1))):
            m = int(rng.integers(len(motifs)))
            site, rel = sample_site(ppms[m], rng, min_rel_score, pwms[m])
            w = len(site)
            free = [x for x in range(margin, length - margin - w + 1) if not taken[x : x + w].any()]
            start = int(free[rng.integers(len(free))])
            taken[start : start + w] = True
            strand = "+" if rng.random() < 0.5 else "-"
            placed = site if strand == "+" else reverse_complement(site)
            pos[i] = pos[i][:start] + placed + pos[i][start + w :]
            rows.append(
                {"id": f"{prefix}pos{i + 1}", "motif": named[m][0], "jaspar_id": motifs[m], "start": start,
                 "end": start + w, "strand": strand, "site": placed, "rel_score": round(rel, 4)}
            )  # fmt: skip
        site_rows += sorted(rows, key=lambda r: r["start"])
    n_shuf = int(round(n_neg * shuffled_fraction))
    sources = rng.integers(0, n_pos, size=n_shuf)
    neg = [dinucleotide_shuffle(pos[j], rng) for j in sources] + make_background(n_neg - n_shuf, length, rng)
    neg_kind = ["shuffled"] * n_shuf + ["background"] * (n_neg - n_shuf)
    ids = [f"{prefix}pos{i + 1}" for i in range(n_pos)] + [f"{prefix}neg{i + 1}" for i in range(n_neg)]
    seqs = pos + neg
    labels = np.array([1] * n_pos + [0] * n_neg, dtype=np.int64)
    kind = ["planted"] * n_pos + neg_kind
    order = rng.permutation(len(seqs))
    params = dict(
        n_pos=n_pos, n_neg=n_neg, length=length, motifs=list(motifs), min_rel_score=min_rel_score,
        shuffled_fraction=shuffled_fraction, margin=margin, max_sites=max_sites, seed=seed, background=background,
    )  # fmt: skip
    return PlantedData(
        ids=[ids[i] for i in order],
        seqs=[seqs[i] for i in order],
        labels=labels[order],
        kind=[kind[i] for i in order],
        sites=pd.DataFrame(site_rows, columns=["id", "motif", "jaspar_id", "start", "end", "strand", "site", "rel_score"]),
        params=params,
    )


def pwm_ceiling(data: PlantedData) -> float:
    """AUROC of the best relative PWM score of the planted motifs (both strands): what a scan that knows the answer reaches."""
    from sklearn.metrics import roc_auc_score

    pwms = [site_pwm(motif_ppm(m)) for m in data.params["motifs"]]
    return float(roc_auc_score(data.labels, scan_best(data.seqs, pwms)))


ATTENTION_REGIMES = {"sharp": (0.02, 0.0), "diffuse": (0.2, 1.0)}  # (noise scale, baseline) of synthetic attention


def synthetic_attention(
    rng: np.random.Generator, length: int, peak: tuple[int, int], decoy: tuple[int, int], regime: str, k: int = 6
) -> np.ndarray:
    """A DNABERT-viz-like per-nucleotide track, shape (length,) float32, L2-normalised.

    Per-k-mer scores (``length - k + 1``): baseline + exponential noise, plus 1
    on the k-mers overlapping ``peak`` [start, end) and 0.5 on those
    overlapping ``decoy``; averaged onto the nucleotides. Regimes
    (:data:`ATTENTION_REGIMES`): ``sharp``, a near-zero baseline like a
    well-trained model's last layer; ``diffuse``, a baseline about as high as
    the peak (rollout, a weakly trained model), never 10x the minimum.
    """
    scale, baseline = ATTENTION_REGIMES[regime]
    kmer_scores = baseline + rng.exponential(scale, length - k + 1)
    for (start, end), height in ((peak, 1.0), (decoy, 0.5)):
        kmer_scores[max(start - k + 1, 0) : end] += height
    return l2_normalize(kmer_to_nucleotide(kmer_scores, k)).astype(np.float32)


def planted_with_attention(
    n_pos: int,
    n_neg: int,
    motifs: tuple[str, ...],
    length: int = 100,
    regime: str = "sharp",
    hit_rate: float = 0.9,
    seed: int = 0,
) -> tuple[PlantedData, list[np.ndarray]]:
    """Planted data for motif discovery without a model: one site per positive, uniform background,
    uniform negatives, and synthetic attention of the positives.

    A fraction ``1 - hit_rate`` of positives has its attention peak at a
    random place instead of the site; every positive also gets a half-height
    10-bp decoy peak at a random place (:func:`synthetic_attention`).

    Returns
    -------
    data : PlantedData
        Sequences in a seeded random order, n_pos positives and n_neg negatives.
    scores : list of np.ndarray
        One (length,) float32 track per positive, in the order of the
        positives in ``data``.
    """
    data = make_planted_dataset(
        n_pos, max(n_neg, 0), length, motifs, shuffled_fraction=0.0, max_sites=1, seed=seed, background="uniform"
    )
    rng = np.random.default_rng([seed, 1])
    site = data.sites.set_index("id")
    scores = []
    for i in np.flatnonzero(data.labels == 1):
        start, end = int(site.at[data.ids[i], "start"]), int(site.at[data.ids[i], "end"])
        if rng.random() >= hit_rate:  # the attention misses the site
            start, end = (other := int(rng.integers(0, length - (end - start)))), other + end - start
        decoy = int(rng.integers(0, length - 10))
        scores.append(synthetic_attention(rng, length, (start, end), (decoy, decoy + 10), regime))
    return data, scores


ISSUE_CONSENSUS = "CCGCGNGGNGGCAG"  # the original DNABERT motif example's planted consensus


def planted_consensus(
    n: int, consensus: str = ISSUE_CONSENSUS, hit_rate: float = 0.7, decoy: int = 30, length: int = 100, seed: int = 0
) -> tuple[list[str], list[str], list[np.ndarray], np.ndarray]:
    """Planted-consensus data in the style of the original DNABERT motif example.

    Positives: uniform background with one site of ``consensus`` (N drawn
    uniformly per site) on the forward strand at a random offset; negatives:
    uniform background. Attention (:func:`synthetic_attention`, sharp) peaks on
    the site in a fraction ``hit_rate`` of positives (elsewhere in the others),
    with a half-height decoy stretch of ``decoy`` bases at a random place. With
    ``hit_rate`` below 1 and 30-bp decoys, 10k + 10k make a motif assembly report
    the planted motif more than once and add edge fragments.

    Returns
    -------
    pos, neg : list of str
        n sequences each.
    scores : list of np.ndarray
        One (length,) track per positive.
    starts : np.ndarray, shape (n,)
        Site start in each positive (0-based).
    """
    rng = np.random.default_rng(seed)
    pos = uniform_background(n, length, rng)
    w = len(consensus)
    scores, starts = [], []
    for i in range(n):
        site = "".join(BASES[rng.integers(4)] if c == "N" else c for c in consensus)
        start = int(rng.integers(5, length - w - 5))
        pos[i] = pos[i][:start] + site + pos[i][start + w :]
        decoy_start = int(rng.integers(0, length - decoy))
        peak = (start, start + w)
        if rng.random() >= hit_rate:
            other = int(rng.integers(0, length - w))
            peak = (other, other + w)
        scores.append(synthetic_attention(rng, length, peak, (decoy_start, decoy_start + decoy), "sharp"))
        starts.append(start)
    return pos, uniform_background(n, length, rng), scores, np.array(starts)


def split_indices(n: int, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0) -> list[np.ndarray]:
    """Seeded random train / dev / test index arrays covering ``range(n)``."""
    order = np.random.default_rng(seed).permutation(n)
    cuts = np.round(np.cumsum(fractions)[:-1] / sum(fractions) * n).astype(int)
    return [np.sort(a) for a in np.split(order, cuts)]


def write_fasta(path: str | Path, ids: list[str], seqs: list[str], width: int = 0) -> None:
    """Write a FASTA file atomically (one line per sequence unless ``width``)."""
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        for i, s in zip(ids, seqs):
            body = "\n".join(s[j : j + width] for j in range(0, len(s), width)) if width else s
            fh.write(f">{i}\n{body}\n")


def write_table(path: str | Path, data: PlantedData, label_names: tuple[str, str] = ("negative", "positive")) -> None:
    """TSV with columns id, sequence, label (names), kind; loads with :func:`dnabert.training.tables.read_labeled`."""
    with atomic_path(path) as tmp:
        pd.DataFrame(
            {"id": data.ids, "sequence": data.seqs, "label": [label_names[v] for v in data.labels], "kind": data.kind}
        ).to_csv(tmp, sep="\t", index=False)


def write_planted(out_dir: str | Path, data: PlantedData, splits: dict[str, np.ndarray] | None = None) -> list[Path]:
    """Write a data set folder: ``<split>.tsv`` per split (or ``all.tsv``), ``positives.fa``,
    ``negatives.fa`` and ``sites.tsv``. Returns the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, idx in (splits or {"all": np.arange(len(data))}).items():
        write_table(out / f"{name}.tsv", data.subset(idx))
        written.append(out / f"{name}.tsv")
    pos = np.flatnonzero(data.labels == 1)
    neg = np.flatnonzero(data.labels == 0)
    write_fasta(out / "positives.fa", [data.ids[i] for i in pos], [data.seqs[i] for i in pos])
    write_fasta(out / "negatives.fa", [data.ids[i] for i in neg], [data.seqs[i] for i in neg])
    with atomic_path(out / "sites.tsv") as tmp:
        data.sites.to_csv(tmp, sep="\t", index=False)
    return written + [out / "positives.fa", out / "negatives.fa", out / "sites.tsv"]
