"""Gradient x input and integrated gradients on the k-mer embeddings; correlation with attention."""

import numpy as np
import pytest
import torch
from support import random_seqs

from dnabert.analysis.attribution import attention_correlation, attribution_track
from dnabert.loading.checkpoint import load_model
from dnabert.errors import InputError
from dnabert.analysis.inference import kmer_to_nucleotide
from dnabert.families.kmer import PAD_ID, encode_batch


@pytest.fixture(scope="module")
def lm(tiny_model_dir):
    """The tiny model in float64 (exact finite differences) with a sharpened classifier (logits far from 0)."""
    model = load_model(tiny_model_dir)
    model.model.double()
    with torch.no_grad():
        model.model.classifier.weight *= 200
    return model


def logit(lm, embeds, mask, target):
    with torch.no_grad():
        return lm.model(inputs_embeds=embeds, attention_mask=mask.expand(len(embeds), -1)).logits[:, target].double().numpy()


def test_gradient_x_input_matches_finite_differences(lm):
    seq = random_seqs(1, 30, 30, seed=2)[0]
    result = attribution_track(lm, seq, "gradient_x_input", target=1)
    ids, mask = (torch.as_tensor(a) for a in encode_batch([seq], lm.k))
    e = lm.model.get_input_embeddings()(ids).detach()
    eps = 1e-5
    for t in (1, 7, 25):  # scaling token t's embedding by (1 +- eps): d logit / d eps = e_t . grad_t
        up, down = e.clone(), e.clone()
        up[0, t] *= 1 + eps
        down[0, t] *= 1 - eps
        slope = (logit(lm, up, mask, 1) - logit(lm, down, mask, 1))[0] / (2 * eps)
        assert result.token_scores[t - 1] == pytest.approx(slope, rel=1e-4, abs=1e-9)
    assert result.delta is None and result.target == 1
    assert result.logit == pytest.approx(logit(lm, e, mask, 1)[0], abs=1e-9)


def test_integrated_gradients_completeness(lm):
    seq = random_seqs(1, 40, 40, seed=4)[0]
    result = attribution_track(lm, seq, "integrated_gradients", target=0, steps=64, batch_size=20)
    ids, mask = (torch.as_tensor(a) for a in encode_batch([seq], lm.k))
    base = ids.clone()
    base[0, 1:-1] = PAD_ID
    emb = lm.model.get_input_embeddings()
    gap = logit(lm, emb(ids).detach(), mask, 0)[0] - logit(lm, emb(base).detach(), mask, 0)[0]
    assert abs(gap) > 1e-3  # the test means something only if the logit moves
    assert abs(result.delta) < 1e-3 * abs(gap)
    assert result.track.shape == (40,)
    assert np.allclose(result.track, kmer_to_nucleotide(result.token_scores, lm.k))
    coarse = attribution_track(lm, seq, "integrated_gradients", target=0, steps=1)
    assert abs(coarse.delta) > 100 * abs(result.delta)  # the path is curved: one gradient is not enough


def test_attribution_defaults_to_the_predicted_class_and_leaves_the_model_untouched(lm):
    seq = random_seqs(1, 25, 25, seed=6)[0]
    ids, mask = (torch.as_tensor(a) for a in encode_batch([seq], lm.k))
    with torch.no_grad():
        predicted = int(lm.model(input_ids=ids, attention_mask=mask).logits[0].argmax())
    result = attribution_track(lm, seq, "gradient_x_input")
    assert result.target == predicted
    assert all(p.grad is None for p in lm.model.parameters())


@pytest.mark.parametrize(
    "seq, kwargs, message",
    [
        ("ACGTAC" * 100, {}, "at most 515 bp"),
        ("ACGT", {}, "shorter than k=6"),
        ("ACGTACGTAC", {"method": "saliency"}, "method must be one of"),
        ("ACGTACGTAC", {"target": 5}, "target class 5 does not exist"),
        ("ACGTACGTAC", {"steps": 0}, "at least 1"),
    ],
)
def test_attribution_bad_input(lm, seq, kwargs, message):
    with pytest.raises(InputError, match=message):
        attribution_track(lm, seq, **kwargs)


def test_attention_correlation():
    att = np.array([0.1, 0.2, 0.3, 0.4, np.nan])
    result = attention_correlation(att, np.array([-1.0, 2.0, -3.0, 4.0, 9.0]))  # |attribution| rises with attention
    assert result == {"spearman": pytest.approx(1.0), "pearson": pytest.approx(1.0), "n": 4}
    assert attention_correlation(att, -np.array([4.0, 3.0, 2.0, 1.0, 0.0]))["spearman"] == pytest.approx(-1.0)
    flat = attention_correlation(np.ones(5), np.arange(5.0))
    assert np.isnan(flat["spearman"]) and flat["n"] == 5
    with pytest.raises(InputError, match="same length"):
        attention_correlation(np.ones(3), np.ones(4))
