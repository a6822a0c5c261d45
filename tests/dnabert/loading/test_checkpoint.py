import json
import pickle

import pytest
import torch
from support import make_tiny_model, tiny_config, write_original_layout
from transformers import BertForMaskedLM, BertForSequenceClassification

from dnabert.loading.checkpoint import CheckpointError, load_model, save_model
from dnabert.errors import InputError
from dnabert.families.kmer import build_vocab, encode_batch


def test_original_mlm_checkpoint_loads_with_same_logits(tmp_path):
    torch.manual_seed(1)
    mlm = BertForMaskedLM(tiny_config(6)).eval()
    write_original_layout(tmp_path / "dnabert6", mlm)
    ids, mask = encode_batch(["ACGTACGTTGCAGGCTAGCT", "TTTTGGGGCCCCAAAATTT"], 6)
    with torch.no_grad():
        expected = mlm(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits
        lm = load_model(tmp_path / "dnabert6", task="mlm")
        got = lm.model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits
    assert lm.k == 6
    assert torch.allclose(expected, got, atol=1e-5)
    assert any("do_lower_case" in n for n in lm.notes)


def test_original_pretrained_checkpoint_gets_fresh_head_with_warning(tmp_path):
    torch.manual_seed(2)
    write_original_layout(tmp_path / "m", BertForMaskedLM(tiny_config(4)), k=4)
    lm = load_model(tmp_path / "m")
    assert lm.pretrained_only and lm.k == 4
    assert any("fresh, untrained head" in n for n in lm.notes)
    assert isinstance(lm.model, BertForSequenceClassification)


def test_original_finetuned_bin_checkpoint_same_logits(tmp_path):
    torch.manual_seed(3)
    clf = BertForSequenceClassification(tiny_config(5, num_labels=3)).eval()
    write_original_layout(tmp_path / "ft", clf, k=5, architecture="BertForSequenceClassification")
    lm = load_model(tmp_path / "ft")
    ids, mask = encode_batch(["ACGTACGTTGCAGGCTAGCT"], 5)
    with torch.no_grad():
        a = clf(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits
        b = lm.model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits
    assert torch.allclose(a, b, atol=1e-5)
    assert not lm.pretrained_only and lm.labels == ["0", "1", "2"]


def test_saved_folder_round_trip(tmp_path):
    path = make_tiny_model(tmp_path / "ours", k=3)
    assert (path / "model.safetensors").is_file() and (path / "vocab.txt").is_file()
    lm = load_model(path)
    assert lm.k == 3 and lm.labels == ["class0", "class1"] and lm.notes == []
    with pytest.raises(InputError, match="exists"):
        save_model(lm.model, 3, path)


def test_pickle_payload_is_not_executed(tmp_path):
    path = make_tiny_model(tmp_path / "evil", k=3)
    (path / "model.safetensors").unlink()

    class Payload:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    (path / "pytorch_model.bin").write_bytes(pickle.dumps({"x": Payload()}))
    with pytest.raises(CheckpointError, match="could not be loaded"):
        load_model(path)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: (p / "config.json").unlink(), "config.json: missing"),
        (lambda p: (p / "vocab.txt").unlink(), "vocab.txt: missing"),
        (lambda p: (p / "vocab.txt").write_text("\n".join(build_vocab(3)[:50])), "matches no DNABERT k-mer size"),
        (lambda p: (p / "vocab.txt").write_text("\n".join(build_vocab(4))), "vocab_size is 69 but vocab.txt has 261"),
        (lambda p: (p / "config.json").write_text("{not json"), "not valid JSON"),
        (lambda p: (p / "model.safetensors").unlink(), "no weights"),
        (lambda p: (p / "model.safetensors").write_bytes(b"garbage"), "could not be loaded"),
        (
            lambda p: (p / "config.json").write_text(
                json.dumps({**json.loads((p / "config.json").read_text()), "model_type": "gpt2"})
            ),
            "only BERT",
        ),
    ],
)
def test_broken_folders_give_clear_errors(tmp_path, damage, message):
    path = make_tiny_model(tmp_path / "m", k=3)
    damage(path)
    with pytest.raises(CheckpointError, match=message):
        load_model(path)


def test_mismatched_weights_shape(tmp_path):
    path = make_tiny_model(tmp_path / "m", k=3)
    cfg = json.loads((path / "config.json").read_text())
    cfg["hidden_size"] = 64
    cfg["intermediate_size"] = 128
    (path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="could not be loaded"):
        load_model(path)


def test_missing_folder():
    with pytest.raises(CheckpointError, match="does not exist"):
        load_model("/no/such/model")
