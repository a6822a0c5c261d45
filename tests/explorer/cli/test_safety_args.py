"""Every numeric CLI option is range-checked by its parser, and --device by what torch has (issue 11)."""

from __future__ import annotations

import argparse

import pytest
import torch

from explorer.cli import build_parser, main


def subcommands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_no_numeric_option_is_a_bare_int_or_float():
    """A bare ``type=int`` / ``type=float`` accepts 0, negatives, nan and inf; every numeric option has a range."""
    bare = [
        f"{name} {action.option_strings[0]}"
        for name, parser in subcommands().items()
        for action in parser._actions
        if action.type in (int, float) and not action.choices
    ]
    assert bare == []


BAD = [
    ("predict", "--batch-size", "0"),
    ("predict", "--batch-size", "-3"),
    ("predict", "--batch-size", "2.5"),
    ("scan", "--window", "0"),
    ("scan", "--stride", "-1"),
    ("mutate", "--width", "0"),
    ("finetune", "--epochs", "0"),
    ("finetune", "--epochs", "nan"),
    ("finetune", "--lr", "0"),
    ("finetune", "--lr", "inf"),
    ("finetune", "--dropout", "1"),
    ("finetune", "--dev-fraction", "1.5"),
    ("finetune", "--patience", "-1"),
    ("finetune", "--threads", "0"),
    ("finetune", "--seed", "-1"),
    ("finetune", "--warmup", "2"),
    ("pretrain", "--layers", "0"),
    ("pretrain", "--hidden", "0"),
    ("pretrain", "--heads", "0"),
    ("pretrain", "--max-steps", "0"),
    ("pretrain", "--mlm-probability", "0"),
    ("pretrain", "--mlm-probability", "1"),
    ("pretrain", "--min-length", "0"),
    ("synth", "--n-pos", "0"),
    ("synth", "--length", "0"),
    ("synth", "--min-score", "1.5"),
    ("demo-model", "--n-train", "0"),
    ("motifs", "--min-len", "0"),
    ("motifs", "--z", "nan"),
    ("motifs", "--q-cutoff", "0"),
    ("motifs", "--window-size", "0"),
    ("motifs", "--top-matches", "0"),
    ("motifs", "--seed", "x"),
    ("motifs", "--agreement-pvalue", "0"),
    ("faithfulness", "--sequences", "0"),
    ("faithfulness", "--seed", "-1"),
]
REQUIRED = {
    "predict": ["--input", "in.fa", "--out", "o.tsv"],
    "scan": ["--input", "in.fa", "--out", "o.tsv"],
    "mutate": ["--input", "in.fa", "--out", "o.tsv"],
    "finetune": ["--train", "t.tsv", "--out", "o", "--k", "6"],
    "pretrain": ["--input", "in.fa", "--out", "o", "--k", "6"],
    "synth": ["--out", "o"],
    "demo-model": ["--out", "o"],
    "motifs": ["--positives", "in.fa", "--out", "o"],
    "faithfulness": ["--input", "in.fa", "--out", "o"],
}


@pytest.mark.parametrize("command, option, value", BAD)
def test_an_out_of_range_number_is_one_error_line_naming_the_option(tmp_path, monkeypatch, capsys, command, option, value):
    monkeypatch.chdir(tmp_path)
    rc = main([command, *REQUIRED[command], option, value])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert f"argument {option}: " in err or f"argument {option}/" in err  # an option with an alias is named with it
    assert list(tmp_path.iterdir()) == []  # nothing ran


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
@pytest.mark.parametrize("command", ["predict", "finetune", "demo-model"])
@pytest.mark.parametrize("device", ["cuda", "cuda:1", "gpu", "mps" if not torch.backends.mps.is_available() else "cuda"])
def test_a_device_torch_does_not_have_is_refused_by_the_parser(tmp_path, monkeypatch, capsys, command, device):
    monkeypatch.chdir(tmp_path)
    rc = main([command, *REQUIRED[command], "--device", device])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err and "argument --device: " in err
    assert list(tmp_path.iterdir()) == []


def test_a_cuda_index_past_the_gpu_count_is_refused(capsys):
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    rc = main(["predict", *REQUIRED["predict"], "--device", f"cuda:{count}"])
    assert rc == 2 and "argument --device: " in capsys.readouterr().err


def test_good_values_still_parse():
    args = build_parser().parse_args(
        ["pretrain", *REQUIRED["pretrain"], "--layers", "2", "--max-steps", "-1", "--mlm-probability", "0.15", "--device", "cpu"]
    )
    assert (args.layers, args.max_steps, args.mlm_probability, args.device) == (2, -1, 0.15, "cpu")
    args = build_parser().parse_args(["finetune", *REQUIRED["finetune"], "--patience", "0", "--dev-fraction", "0"])
    assert (args.patience, args.dev_fraction) == (0, 0.0)
