"""The three kinds of per-nucleotide evidence (dnabert.analysis.evidence), checked against direct computations on every family."""

import numpy as np
import pandas as pd
import pytest
import torch
from support import make_tiny_model, random_seqs, redraw_weights
from family_fixtures import make_dnabert2, make_nt_v1, make_nt_v2
from motif_fixtures import tomtom_warm  # noqa: F401 (tomtom_warm: session fixture)

from dnabert.analysis.attribution import attribution_track
from dnabert.loading.checkpoint import load_model
from dnabert.errors import InputError
from dnabert.analysis.evidence import attribution_evidence, evidence, ism_evidence
from dnabert.families.loading import word_embeddings
from dnabert.analysis.inference import predict

FAMILIES = ["DNABERT-1", "DNABERT-2", "NT v1", "NT v2"]
IG_TOLERANCE = 0.02  # |sum of attributions - (logit - baseline logit)| <= 2% of the gap, at 32 path points
SHARPEN = 1.0  # classifier weights scale


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Every family's tiny model in float64 with a sharpened classifier (logits far from 0, a curved path)."""
    root = tmp_path_factory.mktemp("evidence_models")
    paths = {
        "DNABERT-1": make_tiny_model(root / "d1", k=4),
        "DNABERT-2": make_dnabert2(root / "d2")[0],
        "NT v1": make_nt_v1(root / "nt1"),
        "NT v2": make_nt_v2(root / "nt2")[0],
    }
    out = {}
    for name, path in paths.items():
        lm = load_model(path)
        lm.model.double()
        if name in ("DNABERT-1", "NT v1"):  # transformers' initialisation barely moves a logit
            redraw_weights(lm.model)
        head = lm.model.classifier if not hasattr(lm.model.classifier, "out_proj") else lm.model.classifier.out_proj
        with torch.no_grad():
            head.weight *= SHARPEN
        out[name] = lm
    return out


def baseline_logit(lm, seq: str, target: int) -> float:
    """The class logit with every content token's word embedding replaced by the padding token's (positions kept)."""
    tok = lm.tokenizer
    ids, mask = (torch.as_tensor(a) for a in tok.batch([tok.tokenize(seq)[0]]))
    p, n = len(tok.prefix), len(tok.tokenize(seq)[0])
    emb = word_embeddings(lm.model)
    pad = emb.weight[tok.pad_id].detach()

    def to_pad(_module, _inputs, output):
        output = output.clone()
        output[:, p : p + n] = pad
        return output

    handle = emb.register_forward_hook(to_pad)
    try:
        with torch.no_grad():
            return float(lm.model(input_ids=ids, attention_mask=mask).logits[0, target])
    finally:
        handle.remove()


def nucleotide_mean(token_scores: np.ndarray, spans: np.ndarray, length: int) -> np.ndarray:
    """Each base: the mean over the tokens covering it, by a loop over bases."""
    out = np.zeros(length)
    for j in range(length):
        covering = [t for t, (a, b) in enumerate(spans) if a <= j < b]
        out[j] = np.mean(token_scores[covering])
    return out


@pytest.mark.parametrize("family", FAMILIES)
def test_integrated_gradients_completeness_on_every_family(family, models):
    lm = models[family]
    seq = random_seqs(1, 48, 48, seed=11)[0]
    result = attribution_track(lm, seq, target=1, steps=32, batch_size=16)
    logit = float(predict(lm, [seq], attention=None).logits[0, 1])
    gap = logit - baseline_logit(lm, seq, 1)
    assert abs(gap) > 0.1  # the check means something only if the logit moves
    assert abs(result.token_scores.sum() - gap) <= IG_TOLERANCE * abs(gap)
    coarse = attribution_track(lm, seq, target=1, steps=1)
    assert abs(coarse.token_scores.sum() - gap) > abs(result.token_scores.sum() - gap)  # more steps, closer
    # the evidence track: token scores spread over bases through the family's spans, as attention is
    track = attribution_evidence(lm, [seq], class_index=1, steps=32, batch_size=16)[0]
    np.testing.assert_allclose(track, nucleotide_mean(result.token_scores, lm.tokenizer.tokenize(seq)[1], len(seq)), atol=1e-9)


def log2_odds(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return np.log2(p / (1 - p))


@pytest.mark.parametrize("family", ["DNABERT-1", "DNABERT-2"])
def test_ism_magnitude_equals_one_mutation_at_a_time(family, models):
    lm = models[family]
    seqs = random_seqs(2, 14, 18, seed=3)
    got = ism_evidence(lm, seqs, class_index=1, batch_size=7)
    for seq, track in zip(seqs, got):
        p_wt = float(predict(lm, [seq], attention=None).probs[0, 1])
        want = np.zeros(len(seq))
        for j in range(len(seq)):
            for b in "ACGT":
                if b != seq[j]:
                    p_mut = float(predict(lm, [seq[:j] + b + seq[j + 1 :]], attention=None).probs[0, 1])
                    want[j] = max(want[j], abs(log2_odds(p_wt) - log2_odds(p_mut)))
        assert track.shape == (len(seq),)
        np.testing.assert_allclose(track, want, rtol=1e-5, atol=1e-6)  # probabilities are float32
        assert want.max() > 0.01  # mutations move this model


def test_evidence_contract_and_long_sequences(models):
    lm = models["DNABERT-1"]
    seqs = random_seqs(3, 20, 40, seed=8)
    for kind in ("attention", "attribution", "ism"):
        tracks = evidence(lm, seqs, kind, class_index=1)
        assert [t.shape for t in tracks] == [(len(s),) for s in seqs] and all(t.dtype == np.float64 for t in tracks)
    np.testing.assert_allclose(evidence(lm, seqs, "attention")[0], predict(lm, seqs).scores[0], rtol=1e-6)
    with pytest.raises(InputError, match="evidence must be one of"):
        evidence(lm, seqs, "saliency")
    # longer than one window (510 4-mers = 513 bp): 697 4-mers give windows at k-mers 0 and 187, overlaps averaged
    long = random_seqs(1, 700, 700, seed=1)[0]
    track = attribution_evidence(lm, [long], class_index=1, steps=4, batch_size=4)[0]
    first = attribution_track(lm, long[:513], target=1, steps=4, batch_size=4).track
    last = attribution_track(lm, long[187:], target=1, steps=4, batch_size=4).track
    np.testing.assert_allclose(track[:187], first[:187], atol=1e-9)  # bases only the first window holds
    np.testing.assert_allclose(track[513:], last[513 - 187 :], atol=1e-9)
    np.testing.assert_allclose(track[300], (first[300] + last[300 - 187]) / 2, atol=1e-9)


@pytest.mark.usefixtures("tomtom_warm")
def test_motifs_from_attribution_and_ism_find_the_planted_motif(tmp_path, capsys):
    """The demo model (trained on planted CTCF and YY1 sites) on new planted CTCF data: every kind finds CTCF.

    One ``--evidence all`` run (each kind's folder is the run of ``--evidence <kind>``); small (30 + 30 x 60 bp,
    strong sites) because ISM scores 3 mutants per base.
    """
    from dnabert_demo.synthetic import make_planted_dataset, write_fasta
    from explorer.cli import main
    from motif.output import AGREEMENT_FILE

    data = make_planted_dataset(30, 30, length=60, motifs=("MA0139.2",), min_rel_score=0.95, max_sites=1, seed=1)
    for label, name in ((1, "pos"), (0, "neg")):
        rows = [(i, s) for i, s, y in zip(data.ids, data.seqs, data.labels) if y == label]
        write_fasta(tmp_path / f"{name}.fa", [i for i, _ in rows], [s for _, s in rows])
    out = tmp_path / "all"
    args = ["motifs", "--model", "demo", "--positives", str(tmp_path / "pos.fa"), "--negatives", str(tmp_path / "neg.fa")]
    assert main([*args, "--evidence", "all", "--logos", "none", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "evidence: attribution of class 'positive'" in err and "evidence: ism of class 'positive'" in err
    for kind in ("attention", "attribution", "ism"):
        table = pd.read_csv(out / kind / "motifs.tsv", sep="\t")
        ctcf = table[table["best_match_name"] == "CTCF"]
        assert len(ctcf) == 1 and ctcf["q"].iloc[0] < 1e-6, f"{kind}: {table[['consensus', 'best_match_name', 'q']]}"
    agreement = pd.read_csv(out / AGREEMENT_FILE, sep="\t", keep_default_na=False)
    row = agreement[agreement["best_match"].str.endswith(" CTCF")]
    assert row["verdict"].tolist() == ["every kind"]
    assert "every kind" in (out / "report.html").read_text()
