"""Planted-motif synthetic data: sequences with known binding sites, for training and checking.

Design (the demo model's data, :func:`make_planted_dataset`)
----------------------------------------------------------
* Background: i.i.d. bases, uniform (A = C = G = T = 0.25), length ``length``.
* Positives: a background sequence with one site of one motif (chosen
  uniformly among ``motifs``) planted at a uniform random position, on a
  random strand. A site is sampled base by base from the motif's PPM and kept
  only when its relative PWM score ``(s - min) / (max - min)`` is at least
  ``min_rel_score`` (0.8 by default: clearly a site, not a random draw from a
  flat column). Sites keep ``margin`` bases away from both ends (edge bases are
  covered by fewer k-mers).
* Negatives: ``shuffled_fraction`` (half by default) are dinucleotide shuffles
  of other positives (same composition as a positive, site destroyed), the rest
  are background-only. So neither GC content nor dinucleotide composition
  separates the classes: only the site does.

The motifs are JASPAR 2024 CORE count matrices, embedded here so generation is
offline and reproducible: NRF1 (MA0506.3, 12 bp, a GC-rich palindrome) and
REST (MA0138.3, 20 bp). Everything is seeded by ``seed``.

Scores use log2-odds against the uniform background with a pseudocount of 0.01
per cell on the probability scale (see :func:`log_odds`); :func:`scan_best` is a
vectorised scan over both strands (the "PWM ceiling" of a classifier).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dnabert.outputs import atomic_path
from dnabert.sequences import dinucleotide_shuffle

BASES = "ACGT"  # row order of all matrices here (JASPAR / MEME order)

# JASPAR 2024 CORE counts, rows A, C, G, T (columns = motif positions).
JASPAR_COUNTS: dict[str, tuple[str, list[list[int]]]] = {
    "NRF1": (
        "MA0506.3",
        [
            [1289, 744, 445, 408, 286, 147, 4332, 128, 68, 131, 274, 426],
            [7208, 1831, 339, 11783, 193, 11838, 5475, 577, 251, 12143, 576, 8461],
            [3330, 864, 11841, 343, 12026, 510, 2514, 446, 12324, 201, 11169, 1008],
            [902, 9290, 104, 195, 224, 234, 408, 11578, 86, 254, 710, 2834],
        ],
    ),
    "REST": (
        "MA0138.3",
        [
            [58, 76, 1452, 34, 122, 1575, 3, 35, 913, 219, 39, 20, 1406, 13, 1574, 42, 205, 366, 213, 179],
            [269, 1366, 30, 44, 978, 7, 1586, 1481, 201, 375, 7, 5, 112, 1280, 9, 13, 1007, 31, 933, 1114],
            [146, 50, 94, 1516, 323, 12, 12, 20, 162, 124, 1551, 1577, 34, 233, 7, 1530, 183, 688, 319, 37],
            [1124, 105, 26, 10, 182, 12, 5, 70, 329, 886, 7, 2, 51, 74, 10, 9, 198, 507, 125, 260],
        ],
    ),
}
DEFAULT_MOTIFS = ("NRF1", "REST")

_CODE = np.full(256, 4, dtype=np.int8)
for _i, _b in enumerate(BASES):
    _CODE[ord(_b)] = _i


def motif_ppm(name: str) -> np.ndarray:
    """Position probability matrix of an embedded motif, shape (4, W), rows ACGT, columns sum to 1."""
    if name not in JASPAR_COUNTS:
        raise ValueError(f"unknown motif {name!r}; embedded motifs: {', '.join(JASPAR_COUNTS)}")
    counts = np.array(JASPAR_COUNTS[name][1], dtype=np.float64)
    return counts / counts.sum(axis=0, keepdims=True)


def log_odds(ppm: np.ndarray, pseudo: float = 0.01) -> np.ndarray:
    """log2((p + pseudo) / (1 + 4 pseudo) / 0.25) for a (4, W) PPM against a uniform background."""
    return np.log2((ppm + pseudo) / (1 + 4 * pseudo) / 0.25)


def one_hot(seqs: list[str], length: int | None = None) -> np.ndarray:
    """Integer codes, shape (n, L) int8, A C G T = 0..3, anything else (N, padding) = 4."""
    length = max((len(s) for s in seqs), default=0) if length is None else length
    out = np.full((len(seqs), length), 4, dtype=np.int8)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = _CODE[np.frombuffer(s.encode("ascii", "replace"), dtype=np.uint8)]
    return out


def scan_scores(seqs: list[str], pwm: np.ndarray) -> np.ndarray:
    """Log-odds score of every window on both strands.

    Parameters
    ----------
    seqs : list of str
        n sequences (upper case). Positions past a sequence's end, and bases
        other than ACGT, score the column minimum.
    pwm : np.ndarray, shape (4, W)

    Returns
    -------
    np.ndarray, shape (n, 2, L - W + 1)
        [:, 0] forward strand, [:, 1] reverse complement (window at the same
        start position, read on the other strand). L = longest sequence.
    """
    w = pwm.shape[1]
    codes = one_hot(seqs)
    n, length = codes.shape
    if length < w:
        return np.full((n, 2, 0), -np.inf)
    fwd = np.vstack([pwm, pwm.min(axis=0, keepdims=True)])  # (5, W): code 4 -> column minimum
    rc_pwm = pwm[::-1, ::-1]  # reverse complement: rows ACGT -> TGCA, columns reversed
    rev = np.vstack([rc_pwm, rc_pwm.min(axis=0, keepdims=True)])
    windows = np.lib.stride_tricks.sliding_window_view(codes, w, axis=1)  # (n, L-W+1, W)
    cols = np.arange(w)
    return np.stack([fwd[windows, cols].sum(axis=-1), rev[windows, cols].sum(axis=-1)], axis=1)


def scan_best(seqs: list[str], pwms: list[np.ndarray], relative: bool = True) -> np.ndarray:
    """Best PWM score per sequence over all motifs, both strands.

    With ``relative`` each motif's score is mapped to ``(s - min) / (max - min)``
    first, so motifs of different lengths compare; this is the score of the
    "PWM ceiling" classifier. Returns shape (n,) float64.
    """
    best = np.full(len(seqs), -np.inf)
    for pwm in pwms:
        s = scan_scores(seqs, pwm).reshape(len(seqs), -1).max(axis=1)
        if relative:
            lo, hi = pwm.min(axis=0).sum(), pwm.max(axis=0).sum()
            s = (s - lo) / (hi - lo)
        best = np.maximum(best, s)
    return best


def relative_score(site: str, pwm: np.ndarray) -> float:
    """``(s - min) / (max - min)`` of one site (forward strand) under a (4, W) PWM."""
    s = pwm[_CODE[np.frombuffer(site.encode(), dtype=np.uint8)], np.arange(pwm.shape[1])].sum()
    lo, hi = pwm.min(axis=0).sum(), pwm.max(axis=0).sum()
    return float((s - lo) / (hi - lo))


def sample_site(ppm: np.ndarray, rng: np.random.Generator, min_rel_score: float = 0.8, pwm: np.ndarray | None = None) -> tuple[str, float]:
    """Draw a site from ``ppm`` (4, W), redrawing until its relative score >= ``min_rel_score``.

    Returns the site (forward strand of the motif) and its relative score.
    """
    pwm = log_odds(ppm) if pwm is None else pwm
    for _ in range(100_000):
        idx = (rng.random((ppm.shape[1], 1)) > np.cumsum(ppm.T, axis=1)).sum(axis=1)
        site = "".join(BASES[min(i, 3)] for i in idx)
        rel = relative_score(site, pwm)
        if rel >= min_rel_score:
            return site, rel
    raise ValueError(f"could not draw a site with relative score >= {min_rel_score}; lower min_rel_score")


def _rc(s: str) -> str:
    return s.translate(str.maketrans("ACGT", "TGCA"))[::-1]


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
    seed: int = 0,
    prefix: str = "",
) -> PlantedData:
    """Positives with one planted site each, negatives half background / half shuffled positives.

    Sequences are interleaved in a seeded random order. Ids are
    ``<prefix>pos<N>`` / ``<prefix>neg<N>``. See the module docstring.
    """
    if n_pos < 1 or n_neg < 0:
        raise ValueError("n_pos must be >= 1 and n_neg >= 0")
    ppms = [motif_ppm(m) for m in motifs]
    pwms = [log_odds(p) for p in ppms]
    longest = max(p.shape[1] for p in ppms)
    if length < longest + 2 * margin:
        raise ValueError(f"length {length} is too short for a {longest}-bp motif with {margin}-bp margins")
    rng = np.random.default_rng(seed)

    def background(n: int) -> list[str]:
        return ["".join(BASES[c] for c in row) for row in rng.integers(0, 4, size=(n, length))]

    pos = background(n_pos)
    site_rows = []
    for i in range(n_pos):
        m = int(rng.integers(len(motifs)))
        site, rel = sample_site(ppms[m], rng, min_rel_score, pwms[m])
        w = len(site)
        start = int(rng.integers(margin, length - margin - w + 1))
        strand = "+" if rng.random() < 0.5 else "-"
        placed = site if strand == "+" else _rc(site)
        pos[i] = pos[i][:start] + placed + pos[i][start + w :]
        site_rows.append(
            {
                "id": f"{prefix}pos{i + 1}",
                "motif": motifs[m],
                "jaspar_id": JASPAR_COUNTS[motifs[m]][0],
                "start": start,
                "end": start + w,
                "strand": strand,
                "site": placed,
                "rel_score": round(rel, 4),
            }
        )
    n_shuf = int(round(n_neg * shuffled_fraction))
    sources = rng.integers(0, n_pos, size=n_shuf)
    neg = [dinucleotide_shuffle(pos[j], rng) for j in sources] + background(n_neg - n_shuf)
    neg_kind = ["shuffled"] * n_shuf + ["background"] * (n_neg - n_shuf)
    ids = [f"{prefix}pos{i + 1}" for i in range(n_pos)] + [f"{prefix}neg{i + 1}" for i in range(n_neg)]
    seqs = pos + neg
    labels = np.array([1] * n_pos + [0] * n_neg, dtype=np.int64)
    kind = ["planted"] * n_pos + neg_kind
    order = rng.permutation(len(seqs))
    params = dict(
        n_pos=n_pos, n_neg=n_neg, length=length, motifs=list(motifs), min_rel_score=min_rel_score,
        shuffled_fraction=shuffled_fraction, margin=margin, seed=seed,
    )
    return PlantedData(
        ids=[ids[i] for i in order],
        seqs=[seqs[i] for i in order],
        labels=labels[order],
        kind=[kind[i] for i in order],
        sites=pd.DataFrame(site_rows, columns=["id", "motif", "jaspar_id", "start", "end", "strand", "site", "rel_score"]),
        params=params,
    )


def split_indices(n: int, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0) -> list[np.ndarray]:
    """Seeded random train / dev / test index arrays covering ``range(n)``."""
    order = np.random.default_rng(seed).permutation(n)
    cuts = np.round(np.cumsum(fractions)[:-1] / sum(fractions) * n).astype(int)
    return [np.sort(a) for a in np.split(order, cuts)]


def write_fasta(path: str | Path, ids: list[str], seqs: list[str], width: int = 0) -> None:
    """Write a FASTA file atomically (one line per sequence unless ``width``)."""
    with atomic_path(path) as tmp:
        with open(tmp, "w") as fh:
            for i, s in zip(ids, seqs):
                body = "\n".join(s[j : j + width] for j in range(0, len(s), width)) if width else s
                fh.write(f">{i}\n{body}\n")


def write_table(path: str | Path, data: PlantedData, label_names: tuple[str, str] = ("negative", "positive")) -> None:
    """TSV with columns id, sequence, label (names), kind; loads with :func:`dnabert.finetune.read_labeled`."""
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
