"""No silently wrong models (issue 11): a checkpoint loads completely, with finite weights and a sane config, or not at all."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from support import make_tiny_model, tiny_config
from safetensors.torch import load_file, save_file
from transformers import BertForMaskedLM

from dnabert.loading.checkpoint import CheckpointError, load_model, save_model
from explorer.cli import main


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("safety_models") / "good", max_position_embeddings=12)


def copy(good: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(good, tmp_path / "model"))


def edit_weights(folder: Path, edit) -> None:
    weights = load_file(folder / "model.safetensors")
    edit(weights)
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})


def edit_config(folder: Path, edit) -> None:
    path = folder / "config.json"
    config = json.loads(path.read_text())
    path.write_text(json.dumps(edit(config)))


def refused(folder: Path, capsys, task: str = "classification") -> str:
    """The load error, which the CLI also prints as one line (no traceback, exit 2)."""
    with pytest.raises(CheckpointError) as e:
        load_model(folder, task=task)
    message = str(e.value)
    assert "\n" not in message
    (folder.parent / "in.fa").write_text(">a\nACGTACGTACGTAGCT\n")
    assert (
        main(["predict", "--model", str(folder), "--input", str(folder.parent / "in.fa"), "--out", str(folder.parent / "p.tsv")])
        == 2
    )
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == f"error: {message}"
    assert not (folder.parent / "p.tsv").exists()
    return message


def test_a_classifier_without_its_classifier_weights_is_refused(good, tmp_path, capsys):
    folder = copy(good, tmp_path)
    edit_weights(folder, lambda w: [w.pop(k) for k in ("classifier.weight", "classifier.bias")])
    message = refused(folder, capsys)
    assert "lacks" in message and "classifier.bias, classifier.weight" in message


def test_a_config_with_more_layers_than_the_weights_is_refused(good, tmp_path, capsys):
    folder = copy(good, tmp_path)
    edit_config(folder, lambda c: {**c, "num_hidden_layers": 3})
    message = refused(folder, capsys)
    assert "lacks" in message and "bert.encoder.layer.2." in message


def test_weights_the_config_does_not_use_are_refused(good, tmp_path, capsys):
    folder = copy(good, tmp_path)
    edit_config(folder, lambda c: {**c, "num_hidden_layers": 1})
    message = refused(folder, capsys)
    assert "holds unused" in message and "bert.encoder.layer.1." in message


def test_a_pretrained_mlm_folder_still_loads_for_classification_with_its_note(tmp_path):
    torch.manual_seed(0)
    mlm = BertForMaskedLM(tiny_config(6, max_position_embeddings=12)).eval()
    mlm.config.architectures = ["BertForMaskedLM"]
    save_model(mlm, 6, tmp_path / "mlm")
    lm = load_model(tmp_path / "mlm")
    assert lm.pretrained_only and "fresh, untrained head" in lm.notes[0]
    # and its encoder weights are the saved ones
    assert torch.equal(lm.model.bert.encoder.layer[1].output.dense.weight, mlm.bert.encoder.layer[1].output.dense.weight)
    assert load_model(tmp_path / "mlm", task="mlm").pretrained_only is False


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused(good, tmp_path, capsys, value):
    folder = copy(good, tmp_path)

    def poison(w):
        w["bert.encoder.layer.0.attention.self.query.weight"][3, 5] = value

    edit_weights(folder, poison)
    message = refused(folder, capsys)
    assert "bert.encoder.layer.0.attention.self.query.weight holds NaN or infinite values" in message


CONFIGS = {
    "a JSON list": (lambda c: [c], "expected a JSON object"),
    "huge layer count": (lambda c: {**c, "num_hidden_layers": 100000}, "num_hidden_layers is 100000"),
    "two positions": (lambda c: {**c, "max_position_embeddings": 2}, "max_position_embeddings is 2"),
    "size as text": (lambda c: {**c, "hidden_size": "32"}, "hidden_size is '32'"),
    "size as bool": (lambda c: {**c, "num_attention_heads": True}, "num_attention_heads is True"),
    "fractional size": (lambda c: {**c, "intermediate_size": 64.5}, "intermediate_size is 64.5"),
    "heads do not divide": (lambda c: {**c, "num_attention_heads": 5}, "not a multiple of num_attention_heads"),
    "one class": (lambda c: {**c, "num_labels": 1, "id2label": {"0": "only"}, "label2id": {"only": 0}}, "num_labels is 1"),
    "duplicate class names": (lambda c: {**c, "id2label": {"0": "x", "1": "x"}}, "names class 'x' more than once"),
    "vocab size": (lambda c: {**c, "vocab_size": 1029}, "vocab_size is 1029 but vocab.txt has 4101"),
}


@pytest.mark.parametrize("case", list(CONFIGS))
def test_config_sanity_is_one_line_naming_the_file_and_the_key(good, tmp_path, capsys, case):
    edit, expected = CONFIGS[case]
    folder = copy(good, tmp_path)
    edit_config(folder, edit)
    message = refused(folder, capsys)
    assert message.startswith(f"{folder / 'config.json'}: ") and expected in message


def test_the_good_model_still_loads(good):
    lm = load_model(good)
    assert lm.labels == ["class0", "class1"] and not lm.notes
