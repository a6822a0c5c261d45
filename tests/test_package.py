"""The package a user installs: declared requirements, the wheel's content, and the wheel at work.

The wheel is built with ``python -m build`` from a copy of the checkout, installed into a fresh
virtual environment outside it (which sees the already installed requirements, so nothing is
downloaded), and run from another folder with no ``PYTHONPATH``: the
``dnabert`` command, the demo model found as package data, and ``dnabert app`` answering its health check.
"""

from __future__ import annotations

import os
import shutil
import site
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from packaging.requirements import Requirement
from transformers import BertForSequenceClassification

from dnabert.loading.checkpoint import DEMO_MODEL_DIR

REPO = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
PACKAGES = ("dnabert", "motif", "viz", "dnabert_demo", "explorer")
# folders of the checkout that the wheel maps into a package (the card's layout: pages/ and .streamlit/ at the root)
MAPPED = {"pages": "explorer/pages", ".streamlit": "explorer/.streamlit"}


def requirement_lines(path: Path) -> set[str]:
    """Requirements of a requirements file, normalised (comments, blank lines and ``-r`` includes left out)."""
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return {str(Requirement(line)) for line in lines if line and not line.startswith("-")}


def test_requirements_files_list_what_pyproject_declares():
    assert requirement_lines(REPO / "requirements.txt") == {str(Requirement(r)) for r in PROJECT["dependencies"]}
    dev = REPO / "requirements-dev.txt"
    assert "-r requirements.txt" in dev.read_text().splitlines()
    assert requirement_lines(dev) == {str(Requirement(r)) for r in PROJECT["optional-dependencies"]["test"]}
    assert "torch==2.13.0" in PROJECT["dependencies"]  # an unpinned torch pulls a multi-GB CUDA build
    assert "ray" in {Requirement(r).name for r in PROJECT["optional-dependencies"]["ray"]}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """``python -m build`` (sdist, then the wheel from it) on a copy of the checkout, so nothing is written into it."""
    src = tmp_path_factory.mktemp("source") / "dnabert-explorer"
    shutil.copytree(REPO, src, symlinks=True, ignore=shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    out = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(src)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    (whl,) = dist.glob("*.whl")
    return whl


def test_wheel_holds_every_module_and_data_file_of_the_packages(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, installed_as in {**{p: p for p in PACKAGES}, **MAPPED}.items():
        files = [p.relative_to(REPO / folder) for p in (REPO / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        missing = [f"{folder}/{f}" for f in files if f"{installed_as}/{f}" not in names]
        assert not missing, f"not in the wheel: {missing}"
    for needed in (
        "dnabert/demo_model/model.safetensors",
        "dnabert/demo_model/example_sites.tsv",
        "dnabert_demo/model_card.md",
        "explorer/app.py",
        "explorer/pages/motifs.py",
        "explorer/.streamlit/config.toml",
    ):
        assert needed in names
    metadata = zipfile.ZipFile(wheel).read(f"dnabert_explorer-{PROJECT['version']}.dist-info/METADATA").decode()
    requires = [Requirement(line.split(":", 1)[1]) for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert {str(r) for r in requires if not r.marker} == {str(Requirement(r)) for r in PROJECT["dependencies"]}
    assert {r.name for r in requires if r.marker} == {
        Requirement(r).name for e in ("test", "ray") for r in PROJECT["optional-dependencies"][e]
    }
    top = {n.split("/")[0] for n in names}
    assert top == {*PACKAGES, f"dnabert_explorer-{PROJECT['version']}.dist-info"}, "tests, bench or docs got into the wheel"


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    """(venv bin folder, environment, a working folder outside the checkout) with the wheel installed."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    # no pip of its own (this one installs into it); the running environment's site-packages (a venv or not,
    # unlike --system-site-packages) come after the venv's own through a .pth file, so nothing is downloaded
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site_packages,) = venv.glob("lib/python*/site-packages")
    (site_packages / "running_environment.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    bin_dir = venv / "bin"
    # the requirements are those already installed (the README's set-up; the wheel declares them, see above);
    # --ignore-installed puts the package into the venv even where the running environment holds a copy
    pip = [sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "--no-index", "--quiet"]
    out = subprocess.run([*pip, "--no-deps", "--ignore-installed", str(wheel)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    return bin_dir, env, tmp_path_factory.mktemp("elsewhere")


def run(installed, *command: str) -> subprocess.CompletedProcess:
    bin_dir, env, cwd = installed
    return subprocess.run(
        [str(bin_dir / command[0]), *command[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_app_command_passes_streamlit_arguments_last_and_reports_the_checkout_version():
    from explorer.cli import build_parser, package_version
    from explorer.cli.app import APP, streamlit_command

    args = build_parser().parse_args(["app", "--port", "8600", "--", "--server.address", "0.0.0.0"])
    command = streamlit_command(args.port, args.streamlit_args)
    assert command[1:5] == ["-m", "streamlit", "run", str(APP)] and (APP.parent / ".streamlit" / "config.toml").is_file()
    assert command[command.index("--server.port") + 1] == "8600"
    assert command[-2:] == ["--server.address", "0.0.0.0"]  # after the loopback default: Streamlit keeps the last
    assert package_version() == f"{PROJECT['version']} (source checkout {REPO})"


def test_app_refuses_a_port_out_of_range(capsys):
    from explorer.cli import main

    assert main(["app", "--port", "70000"]) == 2
    assert "argument --port: 70000 is out of range; expected an integer from 1 to 65535" in capsys.readouterr().err


def test_installed_command_prints_help_and_its_version(installed):
    out = run(installed, "dnabert", "--help")
    assert out.returncode == 0, out.stderr
    for command in ("predict", "motifs", "mutate", "app"):
        assert command in out.stdout
    version = run(installed, "dnabert", "--version")
    assert version.stdout.strip() == f"dnabert {PROJECT['version']}"  # from the package's metadata, not a checkout


def test_installed_predict_on_the_demo_model_matches_a_direct_forward_pass(installed):
    cwd = installed[2]
    records = DEMO_MODEL_DIR.joinpath("example_positives.fa").read_text().splitlines()[:6]  # 3 sequences of 100 bp
    (cwd / "small.fa").write_text("\n".join(records) + "\n")
    out = run(installed, "dnabert", "predict", "--model", "demo", "--input", "small.fa", "--out", "preds.tsv")
    assert out.returncode == 0, out.stderr
    table = pd.read_csv(cwd / "preds.tsv", sep="\t")
    assert list(table["id"]) == [r[1:] for r in records[0::2]]

    # the reference: transformers on the checkout's folder, k-mer ids read from its vocab.txt
    vocab = {tok: i for i, tok in enumerate(DEMO_MODEL_DIR.joinpath("vocab.txt").read_text().split())}
    model = BertForSequenceClassification.from_pretrained(DEMO_MODEL_DIR).eval()
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    for row, seq in zip(table.itertuples(), records[1::2]):
        ids = [vocab["[CLS]"], *(vocab[seq[i : i + 6]] for i in range(len(seq) - 5)), vocab["[SEP]"]]
        with torch.no_grad():
            probs = model(torch.tensor([ids])).logits.softmax(-1)[0].numpy()
        np.testing.assert_allclose([getattr(row, f"p_{name}") for name in labels], probs, atol=2e-6)


def test_installed_app_starts_from_another_folder_and_answers_its_health_check(installed):
    bin_dir, env, cwd = installed
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(bin_dir / "dnabert"), "app", "--port", str(port)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    assert r.read() == b"ok"
                break
            except OSError:
                assert proc.poll() is None and time.time() < deadline, "dnabert app did not start"
                time.sleep(0.5)
    finally:
        proc.terminate()
        try:
            log, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            log, _ = proc.communicate()
    assert f"http://127.0.0.1:{port}" in log  # loopback only, on the port asked for


def test_installed_app_runs_on_the_demo_model_found_in_the_package(installed):
    """The installed ``explorer/app.py`` runs (Streamlit's AppTest, in the venv) on the demo model inside the venv."""
    code = """
from pathlib import Path
import explorer
from dnabert.loading.checkpoint import DEMO_MODEL_DIR
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(str(Path(explorer.__file__).parent / "app.py"), default_timeout=240).run()
assert not at.exception, [e.value for e in at.exception]
print(at.sidebar.selectbox[0].options, [e.label for e in at.sidebar.expander])
print(DEMO_MODEL_DIR)
print(explorer.__file__)
"""
    out = run(installed, "python", "-c", code)
    assert out.returncode == 0, out.stderr
    widgets, demo_dir, explorer_init = out.stdout.strip().splitlines()[-3:]
    assert "'demo'" in widgets and "Model card" in widgets
    venv = installed[0].parent.resolve()
    assert Path(demo_dir).is_relative_to(venv) and Path(explorer_init).is_relative_to(venv), out.stdout
    assert sorted(p.name for p in Path(demo_dir).iterdir()) == sorted(p.name for p in DEMO_MODEL_DIR.iterdir())
