"""Which motifs every kind of evidence finds: motif runs on attention, attribution and ISM grouped by TOMTOM.

Every motif of every run is compared with every other by TOMTOM
(:func:`motif.redundancy.motif_similarity`: both strands, all offsets, the
JASPAR reference set completing the null distribution); two motifs are the
same when the smaller of their two p-values (either one as the query) is below
``agreement_pvalue`` (:class:`motif.params.MotifParams`). Groups are the
connected components of that relation. Each group is one row of the agreement
table (:data:`AGREEMENT_COLUMNS`):

* ``group``: ``group_<rank>``, groups found by more kinds first, then by the
  best enrichment p of their motifs;
* ``consensus``, ``best_match``: the consensus and top database match of the
  group's most enriched motif (its ``representative``, ``<kind>:<motif id>``);
* ``found_by``: the kinds that found it, in :data:`dnabert.options.EVIDENCE_KINDS`
  order; ``n_kinds``; ``verdict``: ``every kind`` or ``only <kind>`` (or the
  kinds, joined by ``+``);
* one column per kind: the ids of its motifs in the group (comma-separated, or empty);
* ``min_tomtom_p``: the smallest TOMTOM p between motifs of different kinds in
  the group (NaN when one kind alone found it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from dnabert.options import EVIDENCE_KINDS
from motif.pipeline import MotifResult
from motif.redundancy import motif_similarity

AGREEMENT_COLUMNS = [
    "group", "consensus", "best_match", "found_by", "n_kinds", "verdict", *EVIDENCE_KINDS, "min_tomtom_p", "representative",
]  # fmt: skip


def _best_match(result: MotifResult, motif_id: str) -> str:
    rows = result.matches[(result.matches["motif"] == motif_id) & (result.matches["rank"] == 1)]
    return "" if rows.empty else f"{rows['target_id'].iloc[0]} {rows['target_name'].iloc[0]}"


def agreement_table(results: dict[str, MotifResult], pvalue: float) -> pd.DataFrame:
    """Group the motifs of runs on different evidence (module docstring).

    Parameters
    ----------
    results : dict of str to MotifResult
        Evidence kind -> its motif run.
    pvalue : float
        Two motifs are one when their TOMTOM p is below this.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AGREEMENT_COLUMNS`, one row per group.
    """
    kinds = [k for k in EVIDENCE_KINDS if k in results]
    owners = [(kind, m) for kind in kinds for m in results[kind].motifs]
    if not owners:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS)
    if len(owners) > 1:
        p, _, _ = motif_similarity([m.ppm for _, m in owners])
        p = np.minimum(p, p.T)
    else:
        p = np.ones((1, 1))
    same = p < pvalue
    np.fill_diagonal(same, True)
    _, label = connected_components(csr_matrix(same), directed=False)
    kind_of = np.array([kind for kind, _ in owners])
    rows = []
    for g in np.unique(label):
        members = np.flatnonzero(label == g)
        found = [k for k in kinds if k in set(kind_of[members])]
        best = min(members, key=lambda i: (owners[i][1].log10_p, -len(owners[i][1].instances)))
        kind, motif = owners[best]
        across = p[np.ix_(members, members)][kind_of[members][:, None] != kind_of[members][None, :]]
        verdict = "every kind" if len(found) == len(kinds) else ("only " + found[0] if len(found) == 1 else " + ".join(found))
        order = (-len(found), motif.log10_p)
        rows.append(
            (order, {
                "consensus": motif.consensus,
                "best_match": _best_match(results[kind], motif.id),
                "found_by": ", ".join(found),
                "n_kinds": len(found),
                "verdict": verdict,
                **{k: ", ".join(owners[i][1].id for i in members if kind_of[i] == k) for k in EVIDENCE_KINDS},
                "min_tomtom_p": float(across.min()) if across.size else float("nan"),
                "representative": f"{kind}:{motif.id}",
            })
        )  # fmt: skip
    rows.sort(key=lambda r: r[0])
    table = pd.DataFrame([row for _, row in rows])
    table.insert(0, "group", [f"group_{i}" for i in range(1, len(rows) + 1)])
    return table[AGREEMENT_COLUMNS]
