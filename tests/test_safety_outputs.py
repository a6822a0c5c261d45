"""Never destroy what the user has (issue 11).

* An output that is an input, holds an input, or is another output is refused before any work.
* Output folders are replaced only when this project wrote them (a marker file), checked again at
  rename time, so a folder created meanwhile and a second run to the same output are never clobbered.
* Several outputs of one run are renamed all together or not at all, also when interrupted.
* A full disk is one ``error:`` line, and nothing partial is left.
"""

from __future__ import annotations

import errno
import os
import signal
from pathlib import Path

import pandas as pd
import pytest
from support import make_tiny_model

from explorer.cli import main
from dnabert.errors import InputError
from dnabert.outputs import MARKER, atomic_path, atomic_paths, check_output_folder, claim_output
from motif.output import check_out_dir

FASTA = ">a\nACGTACGTACGTAGCTAGCTAGGATC\n>b\nTTGACGATCGATCGGGATCGATCGA\n"


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("safety_outputs") / "tiny", max_position_embeddings=12)


def run(capsys, *argv) -> tuple[int, str]:
    rc = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return rc, err


@pytest.mark.parametrize(
    "command",
    [
        ["predict", "--input", "{A}", "--out", "{A}"],
        ["attention", "--input", "{B}", "--out", "{A}", "--tsv", "{A}"],
        ["mutate", "--input", "{B}", "--maps", "{A}", "--out", "{A}"],
        ["scan", "--input", "{A}", "--out", "{LINK}"],  # a hard link is the same file under another name
        ["motifs", "--positives", "{D}/pos.fa", "--scores", "{A}", "--out", "{D}"],  # the output folder holds an input
        ["finetune", "--train", "{D}/pos.fa", "--k", "6", "--out", "{D}", "--overwrite"],
        # issue 26: every output option, every input option, and the index files next to the inputs
        ["embed", "--input", "{B}", "--out", "{T}/x", "--npz", "{T}/x"],
        ["compare", "--compare", "demo", "--input", "{B}", "--out", "{T}/x_A.npz", "--npz", "{T}/x.npz"],
        ["tracks", "--regions", "{D}/pos.fa", "--genome", "{A}", "--out", "{A}.fai"],
        ["mutate", "--vcf", "{B}", "--genome", "{A}", "--out", "{A}.gzi"],
        ["predict", "--input", "{B}", "--out", "{B}.csi"],
        ["tracks", "--input", "{B}", "--scan", "{D}/scan_x.tsv", "--out", "{D}"],
        ["tracks", "--input", "{B}", "--instances", "{D}/pos.fa", "--out", "{D}"],
    ],
)
def test_an_output_that_is_an_input_or_another_output_is_refused_before_any_work(tmp_path, capsys, command):
    a, b, d = tmp_path / "a.fa", tmp_path / "b.fa", tmp_path / "d"
    a.write_text(FASTA)
    b.write_text(FASTA)
    d.mkdir()
    (d / "pos.fa").write_text(FASTA)
    os.link(a, tmp_path / "link.fa")
    (d / "scan_x.tsv").write_text("id\tstart\tend\tp_1\n")
    argv = [x.format(A=a, B=b, D=d, T=tmp_path, LINK=tmp_path / "link.fa") for x in command]
    # a model that does not exist: the refusal comes before the model is even looked at
    rc, err = run(capsys, *argv, "--model", tmp_path / "no_such_model")
    assert rc == 2
    assert "an output never replaces" in err and "no_such_model" not in err
    assert a.read_text() == FASTA and (d / "pos.fa").read_text() == FASTA
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.fa", "b.fa", "d", "link.fa"]
    assert sorted(p.name for p in d.iterdir()) == ["pos.fa", "scan_x.tsv"]


NOT_PATHS = {"address", "class_name", "collection", "jaspar", "only", "release", "split", "tax_group"}  # motif ids, names


def test_every_path_option_is_an_input_or_an_output():
    """Each free-text option of every command is declared an input or an output (so outputs are checked against it),
    or listed here as not a path: a new file option cannot escape the overlap checks."""
    import argparse

    from explorer.cli import build_parser
    from explorer.cli.common import INPUT_OPTIONS, OUTPUT_OPTIONS

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    free = {
        a.dest
        for parser in sub.choices.values()
        for a in parser._actions
        if a.option_strings and type(a) is argparse._StoreAction and a.type is None and a.choices is None
    }
    assert free - set(INPUT_OPTIONS) - set(OUTPUT_OPTIONS) == NOT_PATHS
    assert not set(INPUT_OPTIONS) & set(OUTPUT_OPTIONS)


def test_the_ray_shard_folder_never_holds_an_input(tmp_path, capsys, model):
    shards = tmp_path / "p.tsv.shards"
    shards.mkdir()
    (shards / "in.fa").write_text(FASTA)
    rc, err = run(capsys, "predict", "--model", model, "--input", shards / "in.fa", "--out", tmp_path / "p.tsv", "--engine", "ray")
    assert rc == 2 and "the shard folder" in err and "an output never replaces an input" in err, err
    assert (shards / "in.fa").read_text() == FASTA and sorted(p.name for p in tmp_path.iterdir()) == ["p.tsv.shards"]


def test_distinct_outputs_still_run(tmp_path, capsys, model):
    (tmp_path / "a.fa").write_text(FASTA)
    rc, err = run(
        capsys,
        "attention",
        "--model",
        model,
        "--input",
        tmp_path / "a.fa",
        "--out",
        tmp_path / "x.npz",
        "--tsv",
        tmp_path / "x.tsv",
    )
    assert rc == 0, err
    assert (tmp_path / "x.npz").is_file() and len(pd.read_csv(tmp_path / "x.tsv", sep="\t")) == len("".join(FASTA.split()[1::2]))


def write_folder(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.mkdir()
        (tmp / "result.txt").write_text(text)


def test_a_folder_this_project_did_not_write_is_never_replaced(tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    (user / "thesis.tex").write_text("years of work")
    with pytest.raises(InputError, match="did not write"):
        write_folder(user, "new")
    with pytest.raises(InputError, match="did not write"):
        check_output_folder(user, overwrite=True)
    assert [p.name for p in user.iterdir()] == ["thesis.tex"]
    # a folder it wrote carries the marker and is replaced; an empty folder holds nothing to lose
    write_folder(tmp_path / "ours", "first")
    assert (tmp_path / "ours" / MARKER).is_file()
    write_folder(tmp_path / "ours", "second")
    assert (tmp_path / "ours" / "result.txt").read_text() == "second"
    (tmp_path / "empty").mkdir()
    write_folder(tmp_path / "empty", "third")
    assert (tmp_path / "empty" / "result.txt").read_text() == "third"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "ours", "user"]  # no temporaries left


def test_a_folder_created_while_the_run_works_is_not_deleted(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(InputError, match="created or changed while this run was working"), atomic_path(out) as tmp:
        tmp.mkdir()
        (tmp / "result.txt").write_text("run")
        out.mkdir()  # the user (or another run) makes the folder meanwhile
        (out / MARKER).write_text("even one that looks like ours")
        (out / "notes.txt").write_text("mine")
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_two_runs_to_the_same_output_cannot_both_succeed(tmp_path, kind):
    out = tmp_path / ("out.tsv" if kind == "file" else "out")
    if kind == "folder":
        write_folder(out, "previous run")  # --overwrite of an earlier run's folder
        check_output_folder(out, overwrite=True)
    else:
        claim_output(out)  # run 1 starts
    first, second = atomic_path(out), atomic_path(out)
    tmp1 = first.__enter__()
    claim_output(out)  # run 2 starts while run 1 works
    tmp2 = second.__enter__()
    for tmp, text in ((tmp1, "run 1"), (tmp2, "run 2")):
        if kind == "folder":
            tmp.mkdir()
            (tmp / "result.txt").write_text(text)
        else:
            tmp.write_text(text)
    first.__exit__(None, None, None)  # run 1 finishes and renames
    with pytest.raises(InputError, match="another run writing to the same output"):
        second.__exit__(None, None, None)
    result = out / "result.txt" if kind == "folder" else out
    assert result.read_text() == "run 1"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_motifs_out_on_a_folder_with_only_the_users_motifs_tsv_is_refused(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "motifs.tsv").write_text("my curated motifs\n")
    with pytest.raises(InputError, match="did not write"):
        check_out_dir(out)
    (tmp_path / "pos.fa").write_text(FASTA)
    rc, err = run(
        capsys, "motifs", "--positives", tmp_path / "pos.fa", "--scores", tmp_path / "none.npz", "--no-match", "--out", out
    )
    assert rc == 2 and "did not write" in err
    assert (out / "motifs.tsv").read_text() == "my curated motifs\n"


def previous_outputs(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a.npz", tmp_path / "b.tsv"
    a.write_text("old a")
    b.write_text("old b")
    return a, b


def test_an_interrupt_between_two_renames_leaves_neither_new_output(tmp_path, monkeypatch):
    a, b = previous_outputs(tmp_path)
    real_rename, calls = os.rename, []

    def rename(src, dst):
        calls.append((src, dst))
        if Path(dst) == b and str(src).endswith(".partial"):  # the first output is already in place
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(KeyboardInterrupt), atomic_paths(a, b) as (ta, tb):
        ta.write_text("new a")
        tb.write_text("new b")
    assert any(Path(dst) == a for _, dst in calls)  # the first one had been renamed
    assert (a.read_text(), b.read_text()) == ("old a", "old b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "b.tsv"]


def test_a_signal_during_the_renames_is_held_until_both_outputs_are_complete(tmp_path, monkeypatch):
    a, b = previous_outputs(tmp_path)
    real_rename = os.rename

    def rename(src, dst):
        real_rename(src, dst)
        if Path(dst) == a:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C right after the first output was renamed

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(KeyboardInterrupt), atomic_paths(a, b) as (ta, tb):
        ta.write_text("new a")
        tb.write_text("new b")
    assert (a.read_text(), b.read_text()) == ("new a", "new b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "b.tsv"]


def test_cli_attention_with_tsv_is_all_or_nothing(tmp_path, capsys, model, monkeypatch):
    (tmp_path / "in.fa").write_text(FASTA)
    out, tsv = tmp_path / "att.npz", tmp_path / "att.tsv"
    real_rename = os.rename

    def rename(src, dst):
        if Path(dst) == tsv and str(src).endswith(".partial"):
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    rc, err = run(capsys, "attention", "--model", model, "--input", tmp_path / "in.fa", "--out", out, "--tsv", tsv)
    assert rc == 130 and "interrupted" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.fa"]


def test_a_full_disk_is_one_error_line_and_leaves_nothing(tmp_path, capsys, model, monkeypatch):
    (tmp_path / "in.fa").write_text(FASTA)

    def full(self, path, *args, **kwargs):
        Path(path).write_text("half a tab")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    rc, err = run(capsys, "predict", "--model", model, "--input", tmp_path / "in.fa", "--out", tmp_path / "p.tsv")
    assert rc == 2
    error_lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and "No space left on device" in error_lines[0] and "disk is full" in error_lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.fa"]


def test_regions_never_replaces_the_genome_index(tmp_path, capsys):
    genome = tmp_path / "ref.fa"
    genome.write_text(">chr1\n" + "ACGT" * 30 + "\n")
    (tmp_path / "r.bed").write_text("chr1\t5\t50\n")
    regions = ["regions", "--regions", tmp_path / "r.bed", "--genome", genome]
    assert run(capsys, *regions, "--out", tmp_path / "peaks.fa")[0] == 0  # pyfaidx writes ref.fa.fai
    index = (tmp_path / "ref.fa.fai").read_text()
    rc, err = run(capsys, *regions, "--out", tmp_path / "ref.fa.fai")
    assert rc == 2 and "--genome's index" in err and "an output never replaces an input or its index" in err, err
    assert (tmp_path / "ref.fa.fai").read_text() == index
