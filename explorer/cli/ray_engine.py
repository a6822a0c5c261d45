"""``--engine ray``: the work of ``predict``, ``attention``, ``scan`` and ``mutate`` on a Ray cluster.

Imported only when a command runs with ``--engine ray`` (this pulls in Ray,
through :mod:`dnabert.analysis.distributed`). Each function returns what the local
engine computes at the same point, so the commands write their outputs with
the same code. Shards are kept in ``<out>.shards/`` next to ``--out``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from dnabert.analysis import distributed as dist
from dnabert.loading.checkpoint import LoadedModel
from dnabert.errors import InputError
from dnabert.outputs import refuse_overlaps
from dnabert.analysis.variants import Edit, EditScores, MutationMap, mutation_maps_from_arrays
from explorer.cli.common import input_paths


def shard_folder(out: str | Path) -> Path:
    """``<out>.shards``: the folder of shard files for the output ``out``."""
    out = Path(out)
    return out.with_name(out.name + ".shards")


def _engine(args: argparse.Namespace) -> dist.RayEngine:
    if args.shard_size < 1:
        raise InputError(f"--shard-size must be at least 1, got {args.shard_size}")
    refuse_overlaps(input_paths(args), {"the shard folder": shard_folder(args.out)})  # an output like --out, written as it goes
    return dist.RayEngine(shard_folder(args.out), args.address, args.num_workers)


def predict(args: argparse.Namespace, lm: LoadedModel, seqs: list[str], attention: str | None):
    """Probabilities (n, C) and the attention tracks (None without ``attention``), as the local engine's ``predict``."""
    engine = _engine(args)
    tasks = dist.predict_tasks(seqs, args.batch_size, attention, args.shard_size)
    return dist.merge_predictions(engine.run(lm, tasks))


def _attention(args: argparse.Namespace) -> str | None:
    """The attention aggregation for ``attn_change`` (None without ``--attention-change``), as the local engine."""
    return args.attention if args.attention_change else None


def scan(args: argparse.Namespace, lm: LoadedModel, seqs: list[str], starts: list[np.ndarray]) -> list[np.ndarray]:
    """Per sequence, the (m_i, C) probabilities of the windows starting at ``starts[i]``."""
    engine = _engine(args)
    tasks, owner = dist.scan_tasks(seqs, starts, args.window, args.batch_size, args.shard_size)
    return dist.merge_scan(engine.run(lm, tasks), owner, len(seqs))


def mutation_maps(
    args: argparse.Namespace, lm: LoadedModel, class_index: int, ids: list[str], seqs: list[str]
) -> list[MutationMap]:
    """Saturation mutagenesis of every sequence, as :func:`dnabert.analysis.variants.mutation_map`."""
    engine = _engine(args)
    tasks = dist.mutation_map_tasks(
        ids, seqs, class_index, _attention(args), args.both_strands, args.batch_size, args.shard_size
    )
    return [m for r in engine.run(lm, tasks) for m in mutation_maps_from_arrays(r)]


def score_parts(
    args: argparse.Namespace,
    lm: LoadedModel,
    class_index: int,
    parts: list[tuple[list[str], list[Edit]]],
    width: int | None = None,
) -> list[EditScores]:
    """:func:`dnabert.analysis.variants.score_edits` of each (sequences, edits) part, one shard each."""
    engine = _engine(args)
    tasks = dist.edit_tasks(parts, class_index, _attention(args), args.both_strands, width, args.batch_size)
    return [dist.merge_edit_scores([r]) for r in engine.run(lm, tasks)]


def score_edits(args: argparse.Namespace, lm: LoadedModel, class_index: int, seqs: list[str], edits: list[Edit]) -> EditScores:
    """:func:`dnabert.analysis.variants.score_edits` of a variant list, cut into shards of ``--shard-size`` edits."""
    engine = _engine(args)
    parts = dist.split_edits(seqs, edits, args.shard_size)
    tasks = dist.edit_tasks(parts, class_index, _attention(args), args.both_strands, None, args.batch_size)
    return dist.merge_edit_scores(engine.run(lm, tasks))
