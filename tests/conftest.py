"""Shared fixtures: tiny random DNABERT models saved as real checkpoint folders."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from dnabert.loading.checkpoint import save_model
from dnabert.training.policy import ModelShape

torch.set_num_threads(1)


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


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny6")


def redraw_weights(model: torch.nn.Module, seed: int = 0) -> None:
    """Redraw a transformers-initialised model's weights (std 0.02 barely moves a logit) in place: std 0.3 like
    tests/family_fixtures.py, norm weights around 1, a small pooler (its tanh must not saturate)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=g, dtype=param.dtype) * (0.05 if "pooler" in name else 0.3)
            param.copy_(1 + noise / 3 if "norm" in name.lower() and name.endswith("weight") else noise)


def random_seqs(n: int, lo: int, hi: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), size=rng.integers(lo, hi + 1))) for _ in range(n)]


def kmer_sentence(seq: str, k: int) -> str:
    """The original DNABERT input text: the overlapping k-mers of ``seq`` separated by spaces."""
    return " ".join(seq[i : i + k] for i in range(len(seq) - k + 1))


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium through Playwright, one per test module (the browser tests)."""
    from browser_support import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
