"""Start-up: ``--help`` imports nothing heavy, and ``motifs --scores`` (no model) never imports torch."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dnabert_demo.synthetic import planted_with_attention, write_fasta
from explorer.cli import build_parser

REPO = Path(__file__).resolve().parents[3]
HEAVY = ("numpy", "pandas", "scipy", "torch", "transformers", "streamlit", "ray", "numba", "matplotlib")
PROBE = """
import json, sys
from explorer.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as e:  # --help exits
    code = e.code
print(json.dumps({"code": code, "loaded": sorted(m for m in %r if m in sys.modules)}))
""" % (HEAVY,)


def run_probe(args, cwd):
    out = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                         env={"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def commands() -> list[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(sub.choices)


@pytest.mark.parametrize("command", [None, *commands()])
def test_help_imports_nothing_heavy(command, tmp_path):
    result = run_probe([command, "--help"] if command else ["--help"], tmp_path)
    assert result["code"] == 0 and result["loaded"] == []


def write_planted(tmp_path):
    data, scores = planted_with_attention(150, 150, ("MA0138.3",), seed=1)
    pos = [i for i, y in enumerate(data.labels) if y == 1]
    neg = [i for i, y in enumerate(data.labels) if y == 0]
    write_fasta(tmp_path / "pos.fa", [data.ids[i] for i in pos], [data.seqs[i] for i in pos])
    write_fasta(tmp_path / "neg.fa", [data.ids[i] for i in neg], [data.seqs[i] for i in neg])
    np.savez(tmp_path / "att.npz", ids=np.array([data.ids[i] for i in pos]), lengths=np.full(len(pos), 100),
             scores=np.concatenate(scores))  # fmt: skip
    return ["motifs", "--scores", "att.npz", "--positives", "pos.fa", "--negatives", "neg.fa", "--out", "out", "--no-match"]


def test_motifs_from_scores_never_imports_torch(tmp_path):
    args = write_planted(tmp_path)
    result = run_probe(args, tmp_path)
    assert result["code"] == 0 and (tmp_path / "out" / "motifs.tsv").is_file()
    assert "torch" not in result["loaded"] and "transformers" not in result["loaded"]


def test_regions_mode_without_matching_never_imports_numba(tmp_path):
    """No TOMTOM (--no-match; regions mode has no redundancy stage): memelite, which loads numba (about 1 s), stays out."""
    args = write_planted(tmp_path) + ["--mode", "regions", "--logos", "none"]
    result = run_probe(args, tmp_path)
    assert result["code"] == 0 and (tmp_path / "out" / "motifs.meme").is_file()
    assert "numba" not in result["loaded"] and "matplotlib" not in result["loaded"]
