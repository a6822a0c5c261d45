"""``--engine ray`` on a 2-worker local Ray cluster: the same results as the local engine, resumable shards."""

import ast
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import ray
from support import random_seqs

from dnabert.analysis import distributed as dist
from dnabert.loading.checkpoint import load_model
from dnabert.analysis.inference import predict
from dnabert.outputs import load_attention_npz
from dnabert.analysis.variants import mutation_maps_from_arrays
from explorer.cli import main
from explorer.cli.ray_engine import shard_folder

REPO = Path(__file__).resolve().parents[3]
RAY = ["--engine", "ray", "--num-workers", "2"]


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster with 2 CPUs, shared by the tests of this module (started once: it takes seconds)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="module")
def seqs():
    """12 sequences of 10-700 bp: some need several model windows (over 510 k-mers)."""
    return random_seqs(12, 10, 700, seed=3)


@pytest.fixture()
def fasta(tmp_path, seqs):
    path = tmp_path / "in.fa"
    path.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    return path


def run(*argv):
    assert main([str(a) for a in argv]) == 0


def shard_arrays(out):
    """Every shard file of ``out``, in order, as dicts of arrays."""
    files = sorted(shard_folder(out).glob("shard-*.npz"))
    return [dict(np.load(f, allow_pickle=False)) for f in files]


def test_predict_equals_local_engine(cluster, tiny_model_dir, fasta, tmp_path, seqs):
    local, remote = tmp_path / "local.tsv", tmp_path / "ray.tsv"
    run("predict", "--model", tiny_model_dir, "--input", fasta, "--out", local)
    run("predict", "--model", tiny_model_dir, "--input", fasta, "--out", remote, *RAY, "--shard-size", 5)
    a, b = pd.read_csv(local, sep="\t"), pd.read_csv(remote, sep="\t")
    pd.testing.assert_frame_equal(a[["id", "length", "predicted"]], b[["id", "length", "predicted"]])
    np.testing.assert_allclose(a[["p_class0", "p_class1"]], b[["p_class0", "p_class1"]], rtol=1e-5, atol=1e-6)
    # each shard is bit for bit the library's predict over its 5 sequences, run here
    lm = load_model(tiny_model_dir)
    shards = shard_arrays(remote)
    assert len(shards) == 3
    for i, shard in enumerate(shards):
        np.testing.assert_array_equal(shard["probs"], predict(lm, seqs[5 * i : 5 * i + 5], attention=None).probs)


def test_attention_bit_for_bit_with_default_shards(cluster, tiny_model_dir, fasta, tmp_path):
    local, remote, small = tmp_path / "local.npz", tmp_path / "ray.npz", tmp_path / "small.npz"
    tsv_local, tsv_remote = tmp_path / "local.tsv", tmp_path / "ray.tsv"
    args = ["attention", "--model", tiny_model_dir, "--input", fasta, "--attention", "rollout"]
    run(*args, "--out", local, "--tsv", tsv_local)
    run(*args, "--out", remote, "--tsv", tsv_remote, *RAY)  # one shard = the local engine's chunk
    run(*args, "--out", small, *RAY, "--shard-size", 4)  # three shards: other batches
    ids, tracks = load_attention_npz(local)
    ids_ray, tracks_ray = load_attention_npz(remote)
    assert ids_ray == ids
    for t, u in zip(tracks, tracks_ray):
        np.testing.assert_array_equal(t, u)
    assert tsv_local.read_bytes() == tsv_remote.read_bytes()
    ids_small, tracks_small = load_attention_npz(small)
    assert ids_small == ids and len(shard_arrays(small)) == 3
    for t, u in zip(tracks, tracks_small):
        np.testing.assert_allclose(t, u, rtol=1e-4, atol=1e-6)


def test_scan_bit_for_bit(cluster, tiny_model_dir, tmp_path, seqs):
    fasta = tmp_path / "long.fa"
    fasta.write_text(f">x\n{seqs[0] * 3}\n>y\n{seqs[1]}\n")
    local, remote = tmp_path / "local.tsv", tmp_path / "ray.tsv"
    args = ["scan", "--model", tiny_model_dir, "--input", fasta, "--window", 60, "--stride", 7, "--batch-size", 4]
    run(*args, "--out", local)
    run(*args, "--out", remote, *RAY, "--shard-size", 10)  # rounded up to 12 windows: whole batches of 4
    assert local.read_bytes() == remote.read_bytes()
    table = pd.read_csv(remote, sep="\t")
    n_x = len(table[table["id"] == "x"])
    assert len(shard_arrays(remote)) == -(-n_x // 12) + -(-(len(table) - n_x) // 12)
    probs = np.concatenate([s["probs"] for s in shard_arrays(remote)])
    lm = load_model(tiny_model_dir)
    x = seqs[0] * 3
    pieces = [x[s : s + 60] for s in table["start"][table["id"] == "x"]]
    np.testing.assert_array_equal(probs[:n_x], predict(lm, pieces, 4, attention=None).probs)


def test_mutate_maps_and_variant_list(cluster, tiny_model_dir, tmp_path, seqs):
    fasta = tmp_path / "short.fa"
    fasta.write_text(f">a\n{seqs[2][:30]}\n>b\n{seqs[3][:25]}\n>c\n{seqs[4][:20]}\n")
    local, remote = tmp_path / "local.tsv", tmp_path / "ray.tsv"
    args = ["mutate", "--model", tiny_model_dir, "--input", fasta, "--attention-change", "--both-strands"]
    run(*args, "--out", local, "--maps", tmp_path / "local.npz")
    run(*args, "--out", remote, "--maps", tmp_path / "ray.npz", *RAY, "--shard-size", 80)  # a: 90 mutants; b, c: 75 + 60
    assert local.read_bytes() == remote.read_bytes()
    with np.load(tmp_path / "local.npz") as a, np.load(tmp_path / "ray.npz") as b:
        assert a.files == b.files
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name])
    assert [len(mutation_maps_from_arrays(s)) for s in shard_arrays(remote)] == [1, 2]

    # 1100 edits: two shards of whole score_edits chunks (1024 + 76); the second scores its wild types again
    short = {"a": seqs[2][:30], "b": seqs[3][:25], "c": seqs[4][:20]}
    rng = np.random.default_rng(0)
    lines = {}  # distinct edits, in order
    while len(lines) < 1100:
        rid = str(rng.choice(list(short)))
        start = int(rng.integers(0, len(short[rid]) - 2))
        end = start + int(rng.integers(0, 3))
        alt = "".join(rng.choice(list("ACGT"), size=int(rng.integers(0, 3))))
        if alt != short[rid][start:end]:
            lines[f"{rid}\t{start}\t{end}\t{alt or '-'}\n"] = None
    variants = tmp_path / "list.tsv"
    variants.write_text("".join(lines))
    local, remote = tmp_path / "vlocal.tsv", tmp_path / "vray.tsv"
    args = ["mutate", "--model", tiny_model_dir, "--input", fasta, "--variants", variants]
    run(*args, "--out", local)
    run(*args, "--out", remote, *RAY, "--shard-size", 1)
    assert len(shard_arrays(remote)) == 2
    # rows are sorted by |diff|: near-ties may swap under float rounding, so compare edit by edit
    key = ["id", "position", "ref", "alt"]
    a, b = (pd.read_csv(f, sep="\t").sort_values(key).reset_index(drop=True) for f in (local, remote))
    assert len(a) == 1100
    pd.testing.assert_frame_equal(a[key], b[key])
    np.testing.assert_allclose(a[["p_wt", "p_mut", "diff", "logOR"]], b[["p_wt", "p_mut", "diff", "logOR"]], rtol=1e-5, atol=1e-7)


def test_mutate_vcf_equals_local_engine(cluster, tiny_model_dir, tmp_path, seqs):
    contig = seqs[5][:400]
    genome = tmp_path / "ref.fa"
    genome.write_text(f">chr1\n{contig}\n")
    records = [(pos, contig[pos - 1], "T" if contig[pos - 1] != "T" else "G") for pos in range(20, 390, 7)]
    vcf = tmp_path / "calls.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        + "".join(f"chr1\t{pos}\t.\t{ref}\t{alt}\t.\t.\t.\n" for pos, ref, alt in records)
    )
    local, remote = tmp_path / "local.tsv", tmp_path / "ray.tsv"
    args = ["mutate", "--model", tiny_model_dir, "--vcf", vcf, "--genome", genome, "--width", 50, "--attention-change"]
    run(*args, "--out", local)
    run(*args, "--out", remote, *RAY)  # one shard per VCF chunk, as the local engine scores them
    assert local.read_bytes() == remote.read_bytes()
    assert len(pd.read_csv(remote, sep="\t")) == len(records)


def test_rerun_skips_finished_shards_and_recomputes_changed_ones(cluster, tiny_model_dir, fasta, tmp_path, seqs, capsys):
    out = tmp_path / "p.tsv"
    args = ["predict", "--model", tiny_model_dir, "--input", fasta, "--out", out, *RAY, "--shard-size", 4]
    run(*args)
    first = out.read_bytes()
    files = sorted(shard_folder(out).glob("shard-*.npz"))
    assert len(files) == 3
    stamps = [f.stat().st_mtime_ns for f in files]
    files[1].unlink()
    capsys.readouterr()
    run(*args)
    assert "2 of 3 shard(s) already done" in capsys.readouterr().err
    assert out.read_bytes() == first
    assert [files[0].stat().st_mtime_ns, files[2].stat().st_mtime_ns] == [stamps[0], stamps[2]]
    # a changed sequence changes its shard's key: that shard is recomputed, the others are reused
    changed = list(seqs)
    changed[9] = changed[9][::-1]
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(changed)))
    run(*args)
    assert "2 of 3 shard(s) already done" in capsys.readouterr().err
    expected = predict(load_model(tiny_model_dir), changed[8:12], attention=None).probs
    np.testing.assert_allclose(pd.read_csv(out, sep="\t")[["p_class0", "p_class1"]].to_numpy()[8:], expected, atol=1e-6)


def test_damaged_shards_are_computed_again(cluster, tiny_model_dir, fasta, tmp_path, capsys):
    """Issue 26: a shard file whose bytes changed (its key still readable) or that was cut short counts as not done."""
    out = tmp_path / "p.tsv"
    args = ["predict", "--model", tiny_model_dir, "--input", fasta, "--out", out, *RAY, "--shard-size", 4]
    run(*args)
    first = out.read_bytes()
    files = sorted(shard_folder(out).glob("shard-*.npz"))
    data = files[0].read_bytes()
    at = data.index(b"\x93NUMPY", data.index(b"probs.npy")) + 128 + 8  # inside the probabilities, not the key
    files[0].write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :])
    files[2].write_bytes(files[2].read_bytes()[:-40])
    with np.load(files[0]) as z:
        assert str(z["_key"])  # the key alone still reads: only the whole file tells
    capsys.readouterr()
    run(*args)
    assert "1 of 3 shard(s) already done" in capsys.readouterr().err
    assert out.read_bytes() == first


def test_every_damaged_byte_of_a_shard_file_is_noticed(tmp_path):
    """Each byte of a shard file flipped in turn: the shard is either not done, or reads back exactly as written."""
    folder = dist.ShardFolder(tmp_path / "s")
    arrays = {"probs": np.random.default_rng(0).random((5, 2)), "lengths": np.arange(5)}
    folder.write(0, "key", arrays)
    data = folder.file(0).read_bytes()
    kept = 0
    for at in range(len(data)):
        folder.file(0).write_bytes(data[:at] + bytes([data[at] ^ 0x5A]) + data[at + 1 :])
        if folder.done(0, "key"):
            back = folder.read(0)
            assert back.keys() == arrays.keys() and all(np.array_equal(back[k], arrays[k]) for k in arrays), at
            kept += 1
    for cut in range(len(data)):
        folder.file(0).write_bytes(data[:cut])
        assert not folder.done(0, "key"), cut
    assert kept < len(data) // 4  # most bytes matter (the rest are zip fields nothing reads, e.g. timestamps)


FAILED_START = """
import sys
import psutil
import ray._private.node, ray._private.worker
from explorer.cli import main

def fail(*args, **kwargs):
    raise RuntimeError("simulated failure")

if sys.argv[1] == "node":  # the GCS server is up, the raylet fails: Ray's shutdown does not know of the node
    ray._private.node.Node.start_ray_processes = fail
else:  # the node is up, the driver fails to connect
    ray._private.worker.connect = fail
before = {c.pid for c in psutil.Process().children(recursive=True)}
rc = main(sys.argv[2:])
left = [c for c in psutil.Process().children(recursive=True) if c.pid not in before and c.is_running()]
print("RESULT", rc, sorted(c.name() for c in left))
"""


@pytest.mark.parametrize("stage", ["node", "connect"])
def test_a_failed_ray_start_is_one_error_line_and_leaves_no_process(tiny_model_dir, fasta, tmp_path, stage):
    out = tmp_path / "p.tsv"
    argv = ["predict", "--model", tiny_model_dir, "--input", fasta, "--out", out, "--engine", "ray", "--num-workers", "1"]
    result = subprocess.run(
        [sys.executable, "-c", FAILED_START, stage, *map(str, argv)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.stdout.strip().splitlines()[-1] == "RESULT 2 []", result.stdout + result.stderr
    assert "error: could not start a local Ray cluster (RuntimeError: simulated failure)" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_foreign_folder_is_refused(tiny_model_dir, fasta, tmp_path, capsys):
    out = tmp_path / "p.tsv"
    shard_folder(out).mkdir()
    (shard_folder(out) / "notes.txt").write_text("mine")
    assert main(["predict", "--model", str(tiny_model_dir), "--input", str(fasta), "--out", str(out), *RAY]) == 2
    assert "not a shard folder written by dnabert" in capsys.readouterr().err
    assert (shard_folder(out) / "notes.txt").read_text() == "mine" and not out.exists()


def test_killed_run_leaves_no_output_and_resumes(cluster, tiny_model_dir, tmp_path, capsys):
    """A driver connected with --address is stopped (SIGTERM) after its first shard: no merged file; a rerun resumes."""
    fasta = tmp_path / "many.fa"
    fasta.write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(random_seqs(300, 200, 500, seed=5))))
    out = tmp_path / "p.tsv"
    args = ["predict", "--model", tiny_model_dir, "--input", fasta, "--out", out, "--engine", "ray", "--shard-size", 2]
    cmd = [sys.executable, "-m", "dnabert", *map(str, args), "--address", cluster]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while not list(shard_folder(out).glob("shard-*.npz")) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    done = len(list(shard_folder(out).glob("shard-*.npz")))
    assert 1 <= done < 150
    capsys.readouterr()
    run(*args)
    assert f"{done} of 150 shard(s) already done" in capsys.readouterr().err
    assert len(pd.read_csv(out, sep="\t")) == 300


def test_local_commands_and_the_app_never_import_ray(tiny_model_dir, fasta, tmp_path):
    code = (
        "import sys\n"
        "from explorer.cli import main\n"
        "try:\n    main(['predict', '--help'])\nexcept SystemExit:\n    pass\n"
        f"assert main(['predict', '--model', {str(tiny_model_dir)!r}, '--input', {str(fasta)!r}, '--out', {str(tmp_path / 'p.tsv')!r}]) == 0\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"  # after the --help text
    # statically: only dnabert/analysis/distributed.py imports ray, only the ray engine imports it, and that lazily
    for package in ("dnabert", "motif", "viz", "dnabert_demo", "explorer"):
        for path in (REPO / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
            names |= {
                f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module for a in n.names
            }
            rel = path.relative_to(REPO).as_posix()
            if any(n == "ray" or n.startswith("ray.") for n in names):
                assert rel == "dnabert/analysis/distributed.py", f"{rel} imports ray"
            if "dnabert.analysis.distributed" in names:
                assert rel == "explorer/cli/ray_engine.py", f"{rel} imports dnabert.analysis.distributed"
            top = {a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names}
            top |= {f"{n.module}.{a.name}" for n in tree.body if isinstance(n, ast.ImportFrom) and n.module for a in n.names}
            assert "explorer.cli.ray_engine" not in top, f"{rel} imports the ray engine at module level"
