"""Motif discovery against the original DNABERT motif code, run the same way on the same input.

    python -m bench.bench_original --original PATH [--input shared|demo|synthetic] [--n 5000] [--rounds 2] [--keep DIR]

``PATH`` is the folder of a clone of the original motif scripts (``find_motifs.py``
and ``motif_utils.py``, from github.com/jerryji1993/DNABERT, folder ``motif/``;
the clone's root works too). This project does not ship them. They need, in the
Python that runs this bench: numpy, pandas, scipy, statsmodels, biopython and
pyahocorasick (``pip install pandas scipy statsmodels biopython pyahocorasick``);
its last stage draws logos through the weblogo.berkeley.edu web service.

Input (``--input``):

* ``shared`` (default): both sets of ``../shared/bench_inputs/`` (its README; from a
  worktree, ``../../shared``), ``synth5k`` (5000 + 5000) and ``synth10k`` (10000 +
  10000) x 100 bp, one planted GC-rich motif per positive, synthetic attention, made
  with the planted generator the original was timed on. The bench prints, per set, the
  original's time over our whole default command's, against the targets (at least 10x
  on synth5k, 20x on synth10k).

Or ``--n`` positives and ``--n`` negatives of 100 bp:

* ``demo``: the demo model's kind of planted data (CTCF and YY1 sites in
  human-like background; negatives part background, part shuffled positives; the
  settings of :class:`dnabert_demo.recipe.DemoRecipe`, another seed) with the demo
  model's ``last`` attention (DNABERT-viz's) of the positives;
  computed once with torch and cached under /tmp. The analysis of the original
  finds and merges hundreds of enriched region strings here (the demo model is a
  teaching model, trained on planted data).
* ``synthetic``: planted NRF1 / CTCF / REST sites with synthetic sharp attention
  (:func:`dnabert_demo.synthetic.planted_with_attention`); its high-attention region
  strings almost never repeat, so neither tool keeps a candidate: the cheapest
  case of the original.

Each tool reads its own format, written into a scratch folder outside the
project: for the original, ``data/dev.tsv`` (a header, then 6-mer sentences and
labels) and ``predict/atten.npy`` (one row per dev sequence; negatives' rows are
zero and unused) with ``predict/pred_results.npy``; for ours, ``pos.fa``,
``neg.fa`` and the positives' rows of the same attention as ``pos_atten.npy``.

Timed, interleaved ``--rounds`` times (wall seconds of the whole process, and its
CPU seconds):

* original: ``python -u find_motifs.py --data_dir data --predict_dir predict
  --verbose`` (its defaults: window 24, min_len 5, p-value cutoff 0.005,
  min 3 instances), from its start until it prints ``* Saving outputs to
  directory``: reading, high-attention regions, hypergeometric filtering,
  merging, windows, minimum instances. It is then stopped, so its output stage
  (instance files and a weblogo request per motif, which needs the network) is
  not timed. Proxy variables point to a closed local port, so no request leaves
  the machine even if it got that far.
* ours, whole default command: ``python -m dnabert motifs --scores pos_atten.npy
  --positives pos.fa --negatives neg.fa --out ...`` (k-mer mode), with TOMTOM
  matching against JASPAR 2024, PNG logos and the HTML report: more work than the
  part of the original timed.
* ours, the same with ``--mode regions`` (the mode of the original's analysis).
* ours in regions mode with ``--logos none`` (JASPAR matching, tables, MEME file, report without images), and
  ours with ``--no-match --logos none`` (the work of the original's timed part, plus writing
  the tables and MEME file).
* ours in-process: :func:`motif.pipeline.find_motifs` in regions mode with
  JASPAR matching, data already in memory.
* a floor: a new Python process that imports numpy, pandas and scipy.stats.

Nothing is compiled or warmed before timing: TOMTOM runs in NumPy (:mod:`motif.tomtom`).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = [ROOT.parent / "shared" / "bench_inputs", ROOT.parent.parent / "shared" / "bench_inputs"]  # from a checkout or a worktree
TARGETS = {"synth5k": 10.0, "synth10k": 20.0}  # original / our whole default command
DEFAULT_CASE = "dnabert motifs (default: k-mers, JASPAR, PNG logos, report)"
PLANTED = ("MA0506.3", "MA0139.2", "MA0138.3")  # NRF1, CTCF, REST
K = 6  # k-mer size of the original's dev.tsv sentences
LAST_TIMED_LINE = "* Saving outputs"
OFFLINE = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "no_proxy": "", "HTTP_PROXY": "http://127.0.0.1:9",
           "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}  # fmt: skip


def original_scripts(path: Path) -> Path:
    """The folder holding the original ``find_motifs.py``: ``path`` itself or its ``motif/`` subfolder."""
    for folder in (path, path / "motif"):
        if (folder / "find_motifs.py").is_file() and (folder / "motif_utils.py").is_file():
            return folder
    sys.exit(
        f"{path}: no find_motifs.py and motif_utils.py here or in {path / 'motif'}; clone the original DNABERT "
        "(git clone https://github.com/jerryji1993/DNABERT) and pass --original <clone>/motif"
    )


def planted_demo(n: int, seed: int) -> tuple[list[str], list[str], np.ndarray]:
    """n positives and n negatives of the demo model's planted data (CTCF, YY1), and the demo model's
    ``last`` attention of the positives, shape (n, 100); generated once and cached under /tmp."""
    cache = Path(tempfile.gettempdir()) / f"bench_original_demo_{n}_{seed}.npz"
    if not cache.is_file():
        from dnabert_demo.recipe import DemoRecipe
        from dnabert_demo.synthetic import make_planted_dataset
        from dnabert.loading.checkpoint import DEMO_MODEL_DIR, load_model
        from dnabert.analysis.inference import predict

        recipe = DemoRecipe()
        data = make_planted_dataset(n_pos=n, n_neg=n, length=recipe.length, motifs=tuple(recipe.motifs),
                                    min_rel_score=recipe.min_rel_score, shuffled_fraction=recipe.shuffled_fraction, seed=seed)  # fmt: skip
        labels = np.asarray(data.labels)
        pos = [data.seqs[i] for i in np.flatnonzero(labels == 1)]
        neg = [data.seqs[i] for i in np.flatnonzero(labels == 0)]
        scores = predict(load_model(str(DEMO_MODEL_DIR)), pos, 64, attention="last").scores
        np.savez(cache, pos=np.array(pos), neg=np.array(neg), scores=np.stack(scores).astype(np.float32))
    with np.load(cache) as z:
        return z["pos"].tolist(), z["neg"].tolist(), z["scores"]


def planted_synthetic(n: int, seed: int) -> tuple[list[str], list[str], np.ndarray]:
    """n positives with a planted NRF1 / CTCF / REST site and synthetic sharp attention (n, 100), n uniform negatives."""
    from dnabert_demo.synthetic import planted_with_attention

    data, scores = planted_with_attention(n, n, PLANTED, seed=seed)
    labels = np.asarray(data.labels)
    pos = [data.seqs[i] for i in np.flatnonzero(labels == 1)]
    neg = [data.seqs[i] for i in np.flatnonzero(labels == 0)]
    return pos, neg, np.stack(scores)


def shared_input(name: str) -> tuple[list[str], list[str], np.ndarray]:
    """Positives, negatives and positives' attention of one set of ``../shared/bench_inputs``."""
    import gzip

    folder = next((p / name for p in SHARED if (p / name).is_dir()), None)
    if folder is None:
        sys.exit(f"no {name} in {' or '.join(str(p) for p in SHARED)}")
    with gzip.open(folder / "pos.txt.gz", "rt") as fh:
        pos = fh.read().split()
    with gzip.open(folder / "neg.txt.gz", "rt") as fh:
        neg = fh.read().split()
    return pos, neg, np.load(folder / "pos_atten.npy").astype(np.float32)


def write_inputs(work: Path, pos: list[str], neg: list[str], attention: np.ndarray) -> None:
    """Write both tools' input files into ``work`` (see the module docstring)."""
    from dnabert_demo.synthetic import write_fasta

    seqs, labels = pos + neg, [1] * len(pos) + [0] * len(neg)
    (work / "data").mkdir(parents=True)
    (work / "predict").mkdir()
    with open(work / "data" / "dev.tsv", "w") as fh:
        fh.write("sequence\tlabel\n")
        fh.writelines(" ".join(seq[i : i + K] for i in range(len(seq) - K + 1)) + f"\t{y}\n" for seq, y in zip(seqs, labels))
    every = np.zeros((len(seqs), attention.shape[1]), dtype=np.float32)
    every[: len(pos)] = attention
    np.save(work / "predict" / "atten.npy", every)
    np.save(work / "predict" / "pred_results.npy", np.asarray(labels, dtype=np.float32))
    write_fasta(work / "pos.fa", [f"pos_{i}" for i in range(len(pos))], pos)
    write_fasta(work / "neg.fa", [f"neg_{i}" for i in range(len(neg))], neg)
    np.save(work / "pos_atten.npy", attention)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_original(scripts: Path, work: Path) -> dict:
    """One run of the original up to its output stage; wall and CPU seconds, and the time of each stage line."""
    out = work / "original_out"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-u", str(scripts / "find_motifs.py"), "--data_dir", str(work / "data"),
           "--predict_dir", str(work / "predict"), "--save_file_dir", str(out), "--verbose"]  # fmt: skip
    cpu0, t0 = children_cpu(), time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=work, env={**os.environ, **OFFLINE}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    stages, lines = {}, []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("* "):
            stages[line.strip()] = time.perf_counter() - t0
        if line.startswith(LAST_TIMED_LINE):
            break
    wall = time.perf_counter() - t0
    proc.kill()
    proc.wait()
    proc.stdout.close()
    if not any(s.startswith(LAST_TIMED_LINE) for s in stages):
        sys.exit("the original stopped before its output stage:\n" + "".join(lines[-30:]))
    return {"wall": wall, "cpu": children_cpu() - cpu0, "stages": stages}


def run_ours(work: Path, extra: list[str]) -> dict:
    """One run of ``python -m dnabert motifs --scores ... [extra]`` (whole process)."""
    out = work / "ours_out"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "dnabert", "motifs", "--scores", str(work / "pos_atten.npy"), "--positives", str(work / "pos.fa"),
           "--negatives", str(work / "neg.fa"), "--out", str(out), *extra]  # fmt: skip
    cpu0, t0 = children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if done.returncode:
        sys.exit(f"dnabert motifs failed:\n{done.stderr}")
    motifs = sum(1 for line in (out / "motifs.tsv").read_text().splitlines()[1:] if line.strip())
    return {"wall": wall, "cpu": children_cpu() - cpu0, "motifs": motifs}


def run_in_process(pos: list[str], neg: list[str], attention: np.ndarray, database) -> dict:
    from motif.pipeline import MotifParams, find_motifs

    t0, c0 = time.perf_counter(), time.process_time()
    result = find_motifs(pos, list(attention), neg, MotifParams(mode="regions"), database)
    return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "motifs": len(result.motifs)}


def run_imports() -> dict:
    """A new Python process importing what both tools import first: the floor of any such command."""
    cpu0, t0 = children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-c", "import numpy, pandas, scipy.stats"], check=True)
    return {"wall": time.perf_counter() - t0, "cpu": children_cpu() - cpu0}


def bench(label: str, work: Path, pos: list[str], neg: list[str], attention: np.ndarray, scripts: Path, rounds: int) -> None:
    """Time every case on one input, interleaved, and print the table (and the target, for a shared set)."""
    from motif.jaspar import load_jaspar

    t0 = time.perf_counter()
    write_inputs(work, pos, neg, attention)
    print(f"input ({label}): {len(pos)} + {len(neg)} x 100 bp written to {work} in {time.perf_counter() - t0:.0f} s", flush=True)
    database = load_jaspar()
    cases = {
        "original find_motifs.py, up to its output stage": lambda: run_original(scripts, work),
        DEFAULT_CASE: lambda: run_ours(work, []),
        "dnabert motifs --mode regions (JASPAR, PNG logos, report)": lambda: run_ours(work, ["--mode", "regions"]),
        "dnabert motifs --mode regions --logos none": lambda: run_ours(work, ["--mode", "regions", "--logos", "none"]),
        "dnabert motifs --mode regions --no-match --logos none": lambda: run_ours(work, ["--mode", "regions", "--no-match", "--logos", "none"]),
        "find_motifs(mode='regions') in-process, with JASPAR": lambda: run_in_process(pos, neg, attention, database),
        "python -c 'import numpy, pandas, scipy.stats' (a floor)": run_imports,
    }
    runs: dict[str, list[dict]] = {name: [] for name in cases}
    for r in range(rounds):
        for name, case in cases.items() if r % 2 == 0 else reversed(cases.items()):
            runs[name].append(case())
        print(f"round {r + 1}: " + ", ".join(f"{v[-1]['wall']:.2f}" for v in runs.values()) + " s", flush=True)

    print(f"\n{label}, {len(pos)} + {len(neg)} sequences x 100 bp, {rounds} interleaved rounds; load average {os.getloadavg()[0]:.2f}")
    original = runs[next(iter(cases))]
    print("original stages (seconds since its start, first round):")
    for stage, seconds in original[0]["stages"].items():
        print(f"  {seconds:7.2f}  {stage}")
    base_wall = statistics.median(r["wall"] for r in original)
    base_cpu = statistics.median(r["cpu"] for r in original)
    print(f"\n{'run (medians)':58s} {'wall s':>7s} {'CPU s':>6s} {'original/this: wall':>20s} {'CPU':>6s}  motifs")
    for name, results in runs.items():
        wall = statistics.median(r["wall"] for r in results)
        cpu = statistics.median(r["cpu"] for r in results)
        print(
            f"{name:58s} {wall:7.2f} {cpu:6.2f} {base_wall / wall:19.1f}x {base_cpu / cpu:5.1f}x  {results[0].get('motifs', '')}"
        )
    if label in TARGETS:
        ratio = base_wall / statistics.median(r["wall"] for r in runs[DEFAULT_CASE])
        verdict = "met" if ratio >= TARGETS[label] else "NOT met"
        print(f"{label}: whole default command {ratio:.1f}x faster than the original (target at least {TARGETS[label]:.0f}x: {verdict})\n", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--original", type=Path, required=True, help="folder of the original find_motifs.py and motif_utils.py")
    parser.add_argument("--n", type=int, default=5000, help="positives (= negatives), 100 bp each (demo and synthetic inputs)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved runs of each")
    parser.add_argument(
        "--input", choices=("shared", "demo", "synthetic"), default="shared", help="which planted input (see the module docstring)"
    )
    parser.add_argument("--sets", nargs="+", choices=tuple(TARGETS), default=list(TARGETS), help="shared sets to run (--input shared)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--keep", type=Path, help="scratch folder to use and keep (default: a temporary folder, removed)")
    args = parser.parse_args()
    scripts = original_scripts(args.original.resolve())
    sys.path.insert(0, str(ROOT))
    if args.input == "shared":
        inputs = {name: (lambda name=name: shared_input(name)) for name in args.sets}
    else:
        inputs = {args.input: lambda: (planted_demo if args.input == "demo" else planted_synthetic)(args.n, args.seed)}
    with tempfile.TemporaryDirectory(prefix="bench-original-") as tmp:
        for label, load in inputs.items():
            work = (args.keep.resolve() if args.keep else Path(tmp)) / label
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            bench(label, work, *load(), scripts, args.rounds)


if __name__ == "__main__":
    main()
