"""Every parameter of the motif analyses, with its description and valid range (light: no numpy).

:class:`MotifParams` (motif discovery), :class:`KnownParams` (known-motif scan) and
:class:`JasparSource` (the database) are declared with :func:`dnabert.params.param`: the command
line (``dnabert motifs``, ``known-motifs``, ``tracks``) and the app's pages build their options from
them, and ``check`` validates with them, so a new parameter is declared here once.
"""

from __future__ import annotations

from dataclasses import dataclass

from dnabert.errors import InputError
from dnabert.params import check_settings, check_value, field_map, param, settings

MODES = ("kmers", "regions")  # candidates: k-mers assembled into motifs, or the original region strings
RULES = ("zscore", "original")  # high-attention rules (motif.regions)
CAUSE_FIELDS = ("cause_budget", "cause_sequences", "cause_q", "cause_min_effect", "site_pvalue", "seed")
"""The :class:`MotifParams` fields the cause check of known motifs (``dnabert cause``, Known motifs page) reads."""
MAX_K = 12  # longest k-mer: k-mer values index dense arrays of 4**k entries (motif.candidates)


def checkparam(name: str, value) -> str | None:
    """Why ``value`` is not valid for the :class:`MotifParams` field ``name`` (None when it is)."""
    return check_value(PARAM_FIELDS[name], value)


@settings
@dataclass(frozen=True)
class MotifParams:
    """Every parameter of the motif analysis (defaults = the recommended run).

    Each field carries its description, valid range and app label
    (:func:`dnabert.params.param`): the command line (``dnabert motifs``) and the app's
    Motifs page build their options from them, and :meth:`check` validates
    with them.

    ``rule`` None = the mode's default (``kmers``: zscore; ``regions``:
    original, so that the regions mode with its defaults is the original
    analysis); ``both_strands`` None = the mode's default (``kmers``: k-mers
    merged with their reverse complement; ``regions``: forward only, as the
    original). ``site_pvalue`` is FIMO's default; for a motif so short that no
    site reaches it, only best-scoring sites count.
    """

    mode: str = param(
        "kmers",
        "candidates: kmers = k-mers in high-attention regions assembled into motifs; regions = the original exact "
        "region strings and greedy merge",
        "Candidates",
        choices=MODES,
        basic=True,
    )
    rule: str | None = param(
        None,
        "high-attention rule: zscore (score > mean + z SD; default in kmers mode) or original (> mean_factor x mean "
        "and > min_factor x minimum; default in regions mode)",
        "Region rule",
        choices=(None, *RULES),
        basic=True,
    )
    min_len: int = param(5, "shortest high-attention region (bp), also the shortest k-mer", "Minimum region length",
                          low=1, basic=True)  # fmt: skip
    z: float = param(1.0, "zscore rule: standard deviations above the mean", "z", low=0.0, basic=True)
    mean_factor: float = param(1.0, "original rule: multiple of the mean", "Mean factor", low=0.0)
    min_factor: float = param(10.0, "original rule: multiple of the minimum", "Minimum factor", low=0.0)
    k_max: int = param(8, f"longest k-mer in kmers mode (min_len..{MAX_K})", "Longest k-mer", low=1, high=MAX_K, basic=True)
    both_strands: bool | None = param(
        None, "count reverse complements too (default: yes in kmers mode, no in regions mode)", "Both strands",
        choices=(None, True, False), off_flag="--forward-strand",
    )  # fmt: skip
    q_cutoff: float = param(0.005, "keep candidates with Benjamini-Hochberg q below this", "q-value cutoff",
                             low=0.0, high=1.0, low_open=True, basic=True)  # fmt: skip
    max_mismatches: int = param(1, "mismatches a seed k-mer tolerates when collecting sites", "Mismatches when assembling",
                                 low=0, high=3, basic=True)  # fmt: skip
    min_score: float = param(0.8, "relative PWM score (0..1) of a site found by the rescan", "Minimum site score",
                              low=0.0, high=1.0)  # fmt: skip
    site_pvalue: float = param(1e-4, "site p-value when counting the sequences with a site of a motif", "Site p-value",
                                low=0.0, high=1.0, low_open=True, high_open=True)  # fmt: skip
    window_size: int = param(24, "width (bp) of the window cut around every instance", "Window size",
                              low=1, basic=True)  # fmt: skip
    pseudocount: float = param(1.0, "pseudocount per PPM column, spread by the background frequencies", "Pseudocount",
                                low=0.0, low_open=True)  # fmt: skip
    trim_bits: float = param(0.3, "trim flanks with less information than this (bits)", "Trim below (bits)",
                              low=0.0, high=2.0)  # fmt: skip
    min_n_motif: int = param(3, "fewest instances (windows) of a reported motif", "Minimum instances", low=1, basic=True)
    top_matches: int = param(5, "database matches kept per motif", "Matches per motif", low=1)
    seed: int = param(0, "seed of the dinucleotide shuffle making negatives when none are given, and of the cause "
                       "check's sampling", "Shuffle seed",
                       low=0, high=2**32 - 1)  # fmt: skip
    remove_redundant: bool = param(
        True,
        "kmers mode: split motifs whose sites are two populations (two factors sharing a core), merge motifs that TOMTOM "
        "finds similar and drop fragments of stronger motifs (motif.redundancy); off (--keep-redundant) reports every "
        "assembled motif",
        "One motif per factor",
        choices=(True, False),
        off_flag="--keep-redundant",
        basic=True,
    )
    merge_pvalue: float = param(
        1e-5,
        "merge two motifs when TOMTOM p (both strands, all offsets, both directions) is below this; 1e-5 merges a factor "
        "reported twice (p 1e-6..1e-10 on planted data) and keeps similar factors apart (JASPAR CTCF / CTCFL 1e-3.6, "
        "YY2 / ZFP42 1e-3.2, GATA1 / GATA2 1e-3.9); factors sharing a core are told apart by their sites, not by this "
        "threshold (YY1 / ZFP42 1e-5.1): a motif whose windows are two populations of sites is split first, and its parts "
        "are never merged again",
        "Merge below TOMTOM p",
        low=0.0, high=1.0, low_open=True,
    )  # fmt: skip
    variant_pvalue: float = param(
        1e-2,
        "after dropping fragments, a weaker motif joins a stronger one when TOMTOM p is below this and one PPM explains "
        "the windows of both (two-PPM mixture, BIC <= 0: the test that splits motifs); on planted YY2 + ZFP42 data this "
        "folds 7-bp YY2 variants (YY2 sites with a mismatch the YY2 matrix misses, p 1e-3.4 and 1e-2.9, BIC -388 and "
        "-247) into YY2, while two factors give BIC +1481..+3508",
        "Join variants below TOMTOM p",
        low=0.0, high=1.0, low_open=True,
    )  # fmt: skip
    overlap_fraction: float = param(
        0.5,
        "drop a motif when at least this share of its enrichment comes from sites overlapping a stronger motif's sites "
        "and the rest is not enriched (on planted data edge fragments 0.6..1.3, distinct factors 0.00..0.10)",
        "Fragment overlap share",
        low=0.0, high=1.0, low_open=True,
    )  # fmt: skip
    agreement_pvalue: float = param(
        1e-3,
        "--evidence all: motifs found from different kinds of evidence are one motif when TOMTOM p (both strands, all "
        "offsets, either direction) is below this (looser than merge_pvalue, the merge within one run: the kinds of "
        "evidence trim a motif's flanks differently)",
        "Same motif across evidence below TOMTOM p",
        low=0.0, high=1.0, low_open=True,
    )  # fmt: skip

    cause_check: bool = param(
        True,
        "cause check of every motif with a model (motif.cause): insert sites sampled from the motif into the middle of "
        "background sequences against a column-shuffled motif, and shuffle its sites in the positives against random "
        "windows of the same width; paired Wilcoxon, BH; off (--no-cause-check) skips it",
        "Cause check",
        choices=(True, False),
        off_flag="--no-cause-check",
        basic=True,
    )
    cause_budget: float = param(
        120.0, "time budget of the cause check (s): motifs not started within it are reported 'not checked'",
        "Cause check budget (s)", low=0.0, low_open=True,
    )  # fmt: skip
    cause_sequences: int = param(
        500, "cause check: most background sequences (insertion) and most positives with a site (ablation) per motif",
        "Cause check sequences", low=5,
    )  # fmt: skip
    cause_q: float = param(
        0.05, "cause check: 'the model uses it' when the insertion or the ablation test has BH q below this",
        "Cause check q", low=0.0, high=1.0, low_open=True,
    )  # fmt: skip
    cause_min_effect: float = param(
        0.05,
        "cause check: and when that test's mean change in probability is at least this large in absolute value (a "
        "change too small to matter is not called use, however significant; on the demo model and its example data "
        "the planted CTCF and YY1 give insertion effects 0.56 and 0.66, GATA1, never planted, 0.011 (q 0.01))",
        "Cause check minimum effect", low=0.0, high=1.0,
    )  # fmt: skip

    @property
    def region_rule(self) -> str:
        """The high-attention rule (``rule`` resolved)."""
        return self.rule or ("zscore" if self.mode == "kmers" else "original")

    @property
    def strands(self) -> bool:
        """Whether reverse complements are counted (``both_strands`` resolved)."""
        return self.mode == "kmers" if self.both_strands is None else self.both_strands

    def check(self) -> None:
        """Raise InputError naming the first invalid parameter."""
        check_settings(self, "motif parameter")
        if self.mode == "kmers" and self.k_max < self.min_len:
            raise InputError(f"invalid motif parameter: k_max must be between min_len and {MAX_K}")


PARAM_FIELDS = field_map(MotifParams)

TAX_GROUPS = ("vertebrates", "insects", "plants", "fungi", "nematodes", "urochordates", "all")  # offered by the app


@settings
@dataclass(frozen=True)
class JasparSource:
    """Which JASPAR matrices a motif search matches against or scans (read offline with pyjaspar)."""

    release: str = param("JASPAR2024", "JASPAR release (any release pyjaspar ships)", "JASPAR release", flag="--jaspar-release")
    collection: str = param("CORE", "JASPAR collection", "JASPAR collection", flag="--jaspar-collection")
    tax_group: str = param("vertebrates", "JASPAR taxonomic group, or 'all'", "JASPAR group", basic=True,
                           flag="--jaspar-tax-group")  # fmt: skip

    @property
    def group(self) -> str | None:
        """The taxonomic group as pyjaspar takes it (None for all)."""
        return None if self.tax_group == "all" else self.tax_group

    def __str__(self) -> str:
        return f"{self.release} {self.collection} {self.tax_group}"


@settings
@dataclass(frozen=True)
class KnownParams:
    """The known-motif scan (:func:`motif.known.known_motif_attention`): FIMO sites and their attention."""

    threshold: float = param(1e-4, "FIMO site p-value", "FIMO site p-value", low=0.0, high=1.0, low_open=True,
                             high_open=True, basic=True)  # fmt: skip
    gap: int = param(10, "bases between a site and its flank windows", "Gap between site and flanks (bp)", low=0, basic=True)
    min_sites: int = param(5, "fewest sites with flanks for an attention score (a Wilcoxon test needs 2)",
                           "Fewest sites for an attention score", low=2, basic=True)  # fmt: skip

    def check(self) -> None:
        """Raise InputError naming the first invalid parameter."""
        check_settings(self, "known-motif parameter")
