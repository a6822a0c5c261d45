"""Scoring on a Ray cluster: the input cut into shards, a pool of model workers, resumable shard files.

A job is a list of shard tasks. Each task is a :func:`functools.partial` of one
of the ``*_shard`` functions below with that shard's inputs bound; called as
``task(lm)`` it returns a dict of numpy arrays. :class:`RayEngine` runs the
tasks through Ray Data: one row per shard, ``map_batches`` over an actor pool
of :class:`ModelWorker` (a callable class that receives the model once, from
the object store, and keeps it): one worker per GPU when the cluster has GPUs,
otherwise ``num_workers`` single-threaded CPU workers. The driver writes each
shard's arrays to ``shard-NNNNNN.npz`` in the shard folder as it arrives
(written atomically) and reads them all back in input order at the end.

Resuming: every shard file stores a key, the SHA-256 of the model's weights and
of the task (function and inputs). A rerun skips the shards whose file holds
the same key and recomputes the others, so a killed run continues where it
stopped and a changed input or model never reuses stale results.

Equality with the local engine: a shard is one call of the same library
function the local commands make (:func:`dnabert.analysis.inference.predict`,
:func:`dnabert.analysis.variants.mutation_map`, :func:`dnabert.analysis.variants.score_edits`).
When the shards are the local engine's chunks (``predict`` / ``attention``
with the default shard size; ``scan`` windows cut at multiples of the batch
size; ``mutate`` maps and VCF chunks always), every forward pass sees the same
batch and the results are identical on CPU. Other shard sizes change which
windows share a batch, which moves the results by float rounding only.

This is the only module that imports Ray; the app and the local command line
never import it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import pickle
import signal
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psutil
import ray
import torch
from tqdm.auto import tqdm

from dnabert.loading.checkpoint import LoadedModel
from dnabert.errors import InputError
from dnabert.analysis.inference import predict
from dnabert.outputs import atomic_path
from dnabert.analysis.variants import CHUNK as EDIT_CHUNK
from dnabert.analysis.variants import Edit, EditScores, mutation_map, mutation_map_arrays, saturation_edits, score_edits

SHARD_MARK = "dnabert-shards.json"  # written first into a shard folder: a folder without it is not ours
# what reading a damaged NPZ raises: truncated (BadZipFile, EOFError), bytes changed (BadZipFile: bad CRC; zlib.error;
# NotImplementedError: a compression method byte), arrays missing or mangled (KeyError, ValueError), unreadable (OSError)
_DAMAGED = (OSError, EOFError, KeyError, ValueError, NotImplementedError, zipfile.BadZipFile, zlib.error)

Task = Callable[[LoadedModel], dict[str, np.ndarray]]


# -- work done on a worker: one shard in, a dict of arrays out --------------------------------------------


def predict_shard(lm: LoadedModel, seqs: list[str], batch_size: int, attention: str | None) -> dict[str, np.ndarray]:
    """:func:`~dnabert.analysis.inference.predict` of one shard: ``probs`` (n, C), and with attention
    ``lengths`` (n,) and ``scores`` (sum L,), the tracks concatenated."""
    pred = predict(lm, seqs, batch_size, attention=attention)
    if attention is None:
        return {"probs": pred.probs}
    return {
        "probs": pred.probs,
        "lengths": np.array([len(s) for s in seqs], dtype=np.int64),
        "scores": np.concatenate(pred.scores),
    }


def scan_shard(lm: LoadedModel, segment: str, starts: np.ndarray, window: int, batch_size: int) -> dict[str, np.ndarray]:
    """Probabilities ``probs`` (m, C) of the windows ``segment[s : s + window]`` for s in ``starts`` (m,)."""
    return {"probs": predict(lm, [segment[s : s + window] for s in starts], batch_size, attention=None).probs}


def mutation_map_shard(
    lm: LoadedModel, ids: list[str], seqs: list[str], class_index: int, attention: str | None, both_strands: bool, batch_size: int
) -> dict[str, np.ndarray]:
    """:func:`~dnabert.analysis.variants.mutation_map` of each sequence, as :func:`~dnabert.analysis.variants.mutation_map_arrays`."""
    maps = [mutation_map(lm, s, i, class_index, attention, both_strands, batch_size) for i, s in zip(ids, seqs)]
    return mutation_map_arrays(maps)


def edits_shard(
    lm: LoadedModel,
    seqs: list[str],
    edits: list[Edit],
    class_index: int,
    attention: str | None,
    both_strands: bool,
    width: int | None,
    batch_size: int,
) -> dict[str, np.ndarray]:
    """:func:`~dnabert.analysis.variants.score_edits` of one shard: ``p_wt``, ``p_mut`` (n,) and ``attention_change`` (n,) if asked."""
    s = score_edits(lm, seqs, edits, class_index, attention, both_strands, width, batch_size)
    out = {"p_wt": s.p_wt, "p_mut": s.p_mut}
    if s.attention_change is not None:
        out["attention_change"] = s.attention_change
    return out


# -- cutting jobs into shards and putting the results back together ---------------------------------------


def predict_tasks(seqs: list[str], batch_size: int, attention: str | None, shard_size: int) -> list[Task]:
    """Shards of ``shard_size`` consecutive sequences."""
    return [
        functools.partial(predict_shard, seqs=seqs[a : a + shard_size], batch_size=batch_size, attention=attention)
        for a in range(0, len(seqs), shard_size)
    ]


def merge_predictions(results: list[dict[str, np.ndarray]]) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """Results of :func:`predict_tasks` -> probs (n, C) and the n attention tracks (or None)."""
    probs = np.concatenate([r["probs"] for r in results])
    if "scores" not in results[0]:
        return probs, None
    return probs, [t for r in results for t in np.split(r["scores"], np.cumsum(r["lengths"])[:-1])]


def scan_tasks(
    seqs: list[str], starts: list[np.ndarray], window: int, batch_size: int, shard_size: int
) -> tuple[list[Task], list[int]]:
    """Shards of the windows of each sequence (a shard never spans two sequences).

    A shard holds a whole number of batches (``shard_size`` rounded up to a
    multiple of ``batch_size``), so its batches are those of one
    :func:`~dnabert.analysis.inference.predict` call over all windows of the sequence.
    Only the stretch of sequence the shard's windows cover travels with it.

    Returns
    -------
    tasks : list
    owner : list of int
        The sequence index of each task.
    """
    per_shard = math.ceil(shard_size / batch_size) * batch_size
    tasks, owner = [], []
    for i, (seq, st) in enumerate(zip(seqs, starts)):
        for a in range(0, len(st), per_shard):
            part = st[a : a + per_shard]
            lo, hi = int(part[0]), int(part[-1]) + window
            tasks.append(
                functools.partial(scan_shard, segment=seq[lo:hi], starts=part - lo, window=window, batch_size=batch_size)
            )
            owner.append(i)
    return tasks, owner


def merge_scan(results: list[dict[str, np.ndarray]], owner: list[int], n_seqs: int) -> list[np.ndarray]:
    """Results of :func:`scan_tasks` -> per sequence, the (m_i, C) probabilities of its windows."""
    parts: list[list[np.ndarray]] = [[] for _ in range(n_seqs)]
    for r, i in zip(results, owner):
        parts[i].append(r["probs"])
    return [np.concatenate(p) for p in parts]


def mutation_map_tasks(
    ids: list[str],
    seqs: list[str],
    class_index: int,
    attention: str | None,
    both_strands: bool,
    batch_size: int,
    shard_size: int,
) -> list[Task]:
    """Shards of consecutive sequences with about ``shard_size`` mutants each (at least one sequence)."""
    tasks, a, mutants = [], 0, 0
    for b, seq in enumerate(seqs):
        mutants += len(saturation_edits(seq))
        if mutants >= shard_size or b == len(seqs) - 1:
            tasks.append(
                functools.partial(
                    mutation_map_shard,
                    ids=ids[a : b + 1],
                    seqs=seqs[a : b + 1],
                    class_index=class_index,
                    attention=attention,
                    both_strands=both_strands,
                    batch_size=batch_size,
                )
            )
            a, mutants = b + 1, 0
    return tasks


def edit_tasks(
    parts: list[tuple[list[str], list[Edit]]],
    class_index: int,
    attention: str | None,
    both_strands: bool,
    width: int | None,
    batch_size: int,
) -> list[Task]:
    """One shard per (sequences, edits of them) part."""
    return [
        functools.partial(
            edits_shard,
            seqs=seqs,
            edits=edits,
            class_index=class_index,
            attention=attention,
            both_strands=both_strands,
            width=width,
            batch_size=batch_size,
        )
        for seqs, edits in parts
    ]


def split_edits(seqs: list[str], edits: list[Edit], shard_size: int) -> list[tuple[list[str], list[Edit]]]:
    """Edits cut into shards of ``shard_size`` (rounded up to whole :data:`dnabert.analysis.variants.CHUNK` s), each
    with only the sequences it edits (``Edit.seq`` renumbered)."""
    per_shard = math.ceil(shard_size / EDIT_CHUNK) * EDIT_CHUNK
    parts = []
    for a in range(0, len(edits), per_shard):
        part = edits[a : a + per_shard]
        used = sorted({e.seq for e in part})
        index = {old: new for new, old in enumerate(used)}
        parts.append(([seqs[i] for i in used], [e._replace(seq=index[e.seq]) for e in part]))
    return parts


def merge_edit_scores(results: list[dict[str, np.ndarray]]) -> EditScores:
    """Results of :func:`edit_tasks` -> one :class:`~dnabert.analysis.variants.EditScores`, edits in order."""
    change = [r["attention_change"] for r in results if "attention_change" in r]
    return EditScores(
        p_wt=np.concatenate([r["p_wt"] for r in results]),
        p_mut=np.concatenate([r["p_mut"] for r in results]),
        attention_change=np.concatenate(change) if change else None,
    )


# -- shard files -------------------------------------------------------------------------------------------


def model_key(lm: LoadedModel) -> str:
    """SHA-256 of the model's k, labels and every weight (name, dtype, shape, bytes)."""
    h = hashlib.sha256(json.dumps({"k": lm.k, "labels": lm.labels}).encode())
    for name, t in lm.model.state_dict().items():
        t = t.detach().cpu().contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)}".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def task_key(model: str, task: functools.partial) -> str:
    """SHA-256 of the model key, the task's function and its bound inputs."""
    h = hashlib.sha256(model.encode())
    h.update(f"{task.func.__module__}.{task.func.__qualname__}".encode())
    h.update(pickle.dumps((task.args, sorted(task.keywords.items())), protocol=4))
    return h.hexdigest()


class ShardFolder:
    """A folder of ``shard-NNNNNN.npz`` files, each holding one shard's arrays, their names (``_names``) and its key.

    Created with a marker file (:data:`SHARD_MARK`); an existing folder
    without the marker was not written here and is refused.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        mark = self.path / SHARD_MARK
        if self.path.exists() and not mark.is_file():
            raise InputError(
                f"{self.path} exists and is not a shard folder written by dnabert; remove it or choose another --out"
            )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"cannot create the shard folder {self.path}: {e.strerror}") from None
        if not mark.is_file():
            mark.write_text(json.dumps({"written_by": "dnabert ray engine", "files": "shard-NNNNNN.npz"}) + "\n")

    def file(self, i: int) -> Path:
        return self.path / f"shard-{i:06d}.npz"

    def done(self, i: int, key: str) -> bool:
        """True when shard ``i``'s file was written for this key and reads back whole (every array, its CRC
        checked); a missing, truncated, corrupt or stale file counts as not done (the shard is computed again)."""
        try:
            return self._load(i)[0] == key
        except _DAMAGED:
            return False

    def write(self, i: int, key: str, arrays: dict[str, np.ndarray]) -> None:
        with atomic_path(self.file(i)) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, _key=np.array(key), _names=np.array(sorted(arrays)), **arrays)

    def read(self, i: int) -> dict[str, np.ndarray]:
        """Shard ``i``'s arrays; InputError when its file was damaged since it was checked or written."""
        try:
            return self._load(i)[1]
        except _DAMAGED as e:
            raise InputError(
                f"{self.file(i)}: unreadable shard file ({e}); run the command again to compute this shard anew"
            ) from None

    def _load(self, i: int) -> tuple[str, dict[str, np.ndarray]]:
        """(key, arrays) of shard ``i``; ValueError when arrays listed in its ``_names`` are missing (a damaged zip
        directory can hide entries)."""
        with np.load(self.file(i), allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
        key, names = str(arrays.pop("_key")), {str(n) for n in arrays.pop("_names")}
        if names != arrays.keys():
            raise ValueError(f"arrays {sorted(names ^ arrays.keys())} missing or unexpected")
        return key, arrays


# -- the engine --------------------------------------------------------------------------------------------


class ModelWorker:
    """A Ray Data actor: gets the model once, then runs one shard task per row.

    Parameters
    ----------
    lm : LoadedModel or ray.ObjectRef
        The model (on CPU); moved to the worker's GPU when Ray gave it one.
    """

    def __init__(self, lm):
        if isinstance(lm, ray.ObjectRef):
            lm = ray.get(lm)
        lm.model.to("cuda" if torch.cuda.is_available() else "cpu")  # Ray sets CUDA_VISIBLE_DEVICES to this actor's GPU
        self.lm = lm

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        results = np.empty(len(batch["task"]), dtype=object)
        results[:] = [task(self.lm) for task in batch["task"]]
        return {"shard": batch["shard"], "result": results}


class RayEngine:
    """Runs shard tasks on a Ray cluster and keeps their results in a :class:`ShardFolder`.

    Parameters
    ----------
    shard_dir : str or Path
        Where the shard files go (read and written by the driver only, so it
        need not be on a shared file system).
    address : str or None
        An existing cluster (``ray://host:10001``, ``host:6379`` or ``auto``);
        None starts a local one with ``max(CPUs, num_workers)`` CPUs for this run.
    num_workers : int or None
        Model workers; default one per GPU of the cluster, or one per CPU
        without GPUs.
    log : callable
        Receives progress messages.
    """

    def __init__(self, shard_dir: str | Path, address: str | None = None, num_workers: int | None = None, log=None):
        if num_workers is not None and num_workers < 1:
            raise InputError(f"--num-workers must be at least 1, got {num_workers}")
        self.shards = ShardFolder(shard_dir)
        self.address = address
        self.num_workers = num_workers
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))

    def run(
        self, lm: LoadedModel, tasks: list[Task], progress: Callable[[int, int], None] | None = None
    ) -> list[dict[str, np.ndarray]]:
        """Run the tasks not already done; return every task's arrays, in task order.

        ``progress(done, to_do)`` is called after each shard is written (shards computed in this run).
        """
        mkey = model_key(lm)
        keys = [task_key(mkey, t) for t in tasks]
        todo = [i for i, key in enumerate(keys) if not self.shards.done(i, key)]
        if len(todo) < len(tasks):
            self.log(f"note: {len(tasks) - len(todo)} of {len(tasks)} shard(s) already done in {self.shards.path}; skipped")
        if todo:
            self._compute(lm, tasks, keys, todo, progress)
        return [self.shards.read(i) for i in range(len(tasks))]

    def _compute(self, lm: LoadedModel, tasks: list[Task], keys: list[str], todo: list[int], progress) -> None:
        started = not ray.is_initialized()
        if started:
            self._connect()
        try:
            gpus = int(ray.cluster_resources().get("GPU", 0))
            workers = min(self.num_workers or gpus or int(ray.cluster_resources().get("CPU", 1)), len(todo))
            where = f"{workers} GPU worker(s)" if gpus else f"{workers} CPU worker(s)"
            self.log(f"note: {len(todo)} shard(s) on {where} of the Ray cluster; shards in {self.shards.path}")
            lm.model.to("cpu")
            context = ray.data.DataContext.get_current()
            context.enable_fallback_to_arrow_object_ext_type = True  # the task column holds Python objects
            logging.getLogger("ray.data").setLevel(logging.ERROR)  # progress is the shard bar below
            ds = ray.data.from_items([{"shard": i, "task": tasks[i]} for i in todo], override_num_blocks=len(todo))
            ds = ds.map_batches(
                ModelWorker,
                fn_constructor_kwargs={"lm": ray.put(lm)},
                batch_size=1,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_gpus=1 if gpus else 0,
                num_cpus=0 if gpus else 1,
            )
            with tqdm(total=len(todo), unit="shard", desc="shards") as bar:
                for row in ds.iter_rows():
                    i = int(row["shard"])
                    self.shards.write(i, keys[i], row["result"])
                    bar.update(1)
                    if progress is not None:
                        progress(bar.n, len(todo))
        finally:
            if started:
                ray.shutdown()

    def _connect(self) -> None:
        """Start or join the cluster; when that fails (or is interrupted), stop every process the attempt started."""
        # Ray's core worker replaces the SIGTERM handler with one that aborts the process; keep the caller's
        # (the command line turns SIGTERM into KeyboardInterrupt so that unfinished files are removed)
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        before = {c.pid for c in psutil.Process().children(recursive=True)}
        try:
            self._init()
        except BaseException:
            stop_new_processes(before)
            raise
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

    def _init(self) -> None:
        quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
        if self.address:
            try:
                ray.init(address=self.address, **quiet)
            except (ConnectionError, ValueError, RuntimeError) as e:
                raise InputError(f"cannot connect to the Ray cluster at {self.address}: {e}") from None
        else:
            cpus = max(os.cpu_count() or 1, self.num_workers or 1)
            try:
                ray.init(num_cpus=cpus, include_dashboard=False, **quiet)
            except Exception as e:  # Ray raises many kinds (RuntimeError, ValueError, TimeoutError, plain Exception)
                raise InputError(
                    f"could not start a local Ray cluster ({type(e).__name__}: {e}); the processes it started were "
                    "stopped. Try again, or give --address of a running cluster"
                ) from None


def stop_new_processes(before: set[int], grace: float = 5.0) -> None:
    """Shut Ray down and end every descendant of this process not in ``before`` (pids): what a failed start
    left (GCS server, raylet, workers, reaper), also when Ray's own shutdown does not know of them."""
    try:
        ray.shutdown()
    except Exception:  # a half-started Ray may fail to shut down; its processes are ended below
        pass
    left = [c for c in psutil.Process().children(recursive=True) if c.pid not in before]
    for proc in left:
        try:
            proc.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(left, timeout=grace)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=grace)
