"""Helpers the tests import by name (``from support import ...``); fixtures live in the conftest.py files.

Tests sit in folders laid out like the packages (tests/dnabert/analysis, tests/motif, tests/explorer/app, ...);
this folder is on ``sys.path`` for all of them through the root conftest.py.
"""

import json
from pathlib import Path

import numpy as np
import torch
from streamlit.testing.v1 import AppTest
from transformers import BertConfig, BertForSequenceClassification

from dnabert.families.kmer import build_vocab
from dnabert.loading.checkpoint import save_model
from dnabert.training.policy import ModelShape

REPO = Path(__file__).resolve().parent.parent
# AppTest runs explorer/app.py (the app itself; the root app.py only calls it): beside the root app.py,
# pages/ would make each AppTest run a legacy multipage app (AppTest resets that mode on every run).
# Pages are switched to relative to it: ``at.switch_page("../pages/predict.py")``.
APP_SCRIPT = str(REPO / "explorer" / "app.py")


def tiny_config(k: int = 6, num_labels: int = 2, max_position_embeddings: int = 512, layers: int = 2) -> BertConfig:
    """A 2-layer, 32-hidden BERT over the k-mer vocabulary (seconds to run)."""
    shape = ModelShape(layers=layers, hidden=32, heads=4, intermediate=64, max_tokens=max_position_embeddings)
    return shape.config(k, num_labels)


def make_tiny_model(path, k: int = 6, seed: int = 0, **config_kwargs):
    """Save a random tiny classifier at ``path`` and return the path."""
    torch.manual_seed(seed)
    model = BertForSequenceClassification(tiny_config(k, **config_kwargs))
    save_model(model, k, path, labels=[f"class{i}" for i in range(model.config.num_labels)])
    return path


def random_seqs(n: int, lo: int, hi: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), size=rng.integers(lo, hi + 1))) for _ in range(n)]


def kmer_sentence(seq: str, k: int) -> str:
    """The original DNABERT input text: the overlapping k-mers of ``seq`` separated by spaces."""
    return " ".join(seq[i : i + k] for i in range(len(seq) - k + 1))


def paste(at: AppTest, text: str) -> AppTest:
    at.radio(key="pos_source").set_value("Paste").run()
    at.text_area(key="positives_text").input(text)
    at.button[0].click().run()
    return at


def write_original_layout(path, model, k=6, architecture="BertForMaskedLM"):
    """A folder as the original DNABERT releases ship it: .bin weights with gamma/beta
    LayerNorm names, a config without model_type, do_lower_case: true."""
    path.mkdir(parents=True)
    state = {
        key.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"): v
        for key, v in model.state_dict().items()
    }
    torch.save(state, path / "pytorch_model.bin")
    config = model.config.to_dict()
    config.pop("model_type", None)
    config["architectures"] = [architecture]
    (path / "config.json").write_text(json.dumps(config))
    (path / "vocab.txt").write_text("\n".join(build_vocab(k)) + "\n")
    (path / "tokenizer_config.json").write_text('{"do_lower_case": true, "max_len": 512}')
    (path / "special_tokens_map.json").write_text("{}")


def redraw_weights(model: torch.nn.Module, seed: int = 0) -> None:
    """Redraw a transformers-initialised model's weights (std 0.02 barely moves a logit) in place: std 0.3 like
    tests/family_fixtures.py, norm weights around 1, a small pooler (its tanh must not saturate)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=g, dtype=param.dtype) * (0.05 if "pooler" in name else 0.3)
            param.copy_(1 + noise / 3 if "norm" in name.lower() and name.endswith("weight") else noise)


def app() -> AppTest:
    """The app under AppTest, not yet run (the timeout leaves room for a loaded machine)."""
    return AppTest.from_file(APP_SCRIPT, default_timeout=300)


def load_example(at: AppTest) -> AppTest:
    """Load the demo's example data on the Data page."""
    at.radio(key="pos_source").set_value("Example data").run()
    at.button[0].click().run()
    return at
