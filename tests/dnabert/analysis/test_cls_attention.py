"""[CLS]-row attention under SDPA equals the [CLS] row of transformers' eager output_attentions=True."""

import numpy as np
import pytest
import torch
from support import make_tiny_model, random_seqs
from family_fixtures import make_dnabert2, make_nt_v1

from dnabert.loading.checkpoint import load_model
from dnabert.analysis.cls_attention import register_cls_row_hooks, supports_cls_rows
from dnabert.families.loading import self_attention_modules
from dnabert.analysis.inference import predict, predict_modes, sdpa_twin
from dnabert.families.kmer import encode_batch


@pytest.fixture(scope="module")
def lm(tmp_path_factory):
    """Three layers, so that 'mean' averages more than two rows."""
    return load_model(make_tiny_model(tmp_path_factory.mktemp("models") / "l3", seed=4, layers=3))


def eager_cls_rows(lm, seqs):
    """Reference: every layer's attention from transformers (eager, output_attentions=True), row 0 -> (layers, B, H, T)."""
    ids, mask = encode_batch(seqs, lm.k)
    with torch.inference_mode():
        out = lm.model(input_ids=torch.as_tensor(ids), attention_mask=torch.as_tensor(mask), output_attentions=True)
    return np.stack([a[:, :, 0, :].double().numpy() for a in out.attentions]), ids, mask


def test_cls_rows_under_sdpa_equal_eager_rows_of_every_layer_and_head(lm):
    seqs = random_seqs(5, 10, 120, seed=3)  # unequal lengths: padded rows
    expected, ids, mask = eager_cls_rows(lm, seqs)
    twin, t_mask = sdpa_twin(lm.model), torch.as_tensor(mask)
    rows: list[torch.Tensor] = []
    handles = [h for m in self_attention_modules(twin) for h in register_cls_row_hooks(m, t_mask, rows.append)]
    try:
        with torch.inference_mode():
            twin(input_ids=torch.as_tensor(ids), attention_mask=t_mask)
    finally:
        for h in handles:
            h.remove()
    got = np.stack([r.double().numpy() for r in rows])  # (layers, B, H, T)
    assert got.shape == expected.shape == (3, 5, 4, ids.shape[1])
    np.testing.assert_allclose(got, expected, atol=1e-6)
    padding = (mask == 0)[None, :, None, :]  # (1, B, 1, T)
    assert padding.any() and np.all(got[np.broadcast_to(padding, got.shape)] == 0)  # padding gets no attention
    np.testing.assert_allclose(got.sum(axis=-1), 1.0, atol=1e-6)


@pytest.mark.parametrize("mode", ["last", "mean"])
def test_predict_last_and_mean_run_fused_and_equal_the_eager_pass(lm, mode):
    seqs = random_seqs(6, 10, 700, seed=5)  # 700 bp: two windows
    eager_calls = []
    handles = [m.register_forward_hook(lambda *_: eager_calls.append(1)) for m in self_attention_modules(lm.model)]
    try:
        fused = predict(lm, seqs, batch_size=4, attention=mode)
        assert not eager_calls  # the eager model never ran
        reference = predict_modes(lm, seqs, batch_size=4)[mode]  # with rollout: one eager pass, full matrices
        assert eager_calls
    finally:
        for h in handles:
            h.remove()
    np.testing.assert_allclose(fused.logits, reference.logits, atol=1e-5)
    for a, b in zip(fused.scores, reference.scores):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_only_plain_dot_product_attention_is_fused(lm, tmp_path):
    assert supports_cls_rows(self_attention_modules(lm.model))
    assert supports_cls_rows(self_attention_modules(sdpa_twin(lm.model)))
    for path in (make_dnabert2(tmp_path / "d2")[0], make_nt_v1(tmp_path / "nt1")):  # ALiBi, rotary: eager path
        assert not supports_cls_rows(self_attention_modules(load_model(path).model))
