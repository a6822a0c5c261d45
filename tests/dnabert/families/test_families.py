"""DNABERT-2 and Nucleotide Transformer: tokenizers, encoders and per-nucleotide attention.

Each encoder is checked against an independent computation: DNABERT-2 and NT v2
against a forward pass written out here from the released weights (ALiBi and
rotary from their formulas), NT v1 against transformers' ESM loaded directly.
"""

import json
import math

import numpy as np
import pytest
import torch
from support import make_tiny_model, random_seqs
from family_fixtures import HEADS, LAYERS, make_dnabert2, make_nt_v1, make_nt_v2, nt_vocab
from family_references import dnabert2_reference, nt_reference, released_shapes
from safetensors.torch import load_file, save_file
from transformers import EsmForSequenceClassification

from dnabert.loading.checkpoint import CheckpointError, load_model
from dnabert.families.dna_tokenizers import sixmer_tokenizer
from dnabert.families.dnabert2 import alibi_slopes
from dnabert.families.loading import DNABERT1, DNABERT2, NT1, NT2, detect_family
from dnabert.analysis.inference import attention_matrices, predict
from dnabert.sequences import SequenceError


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    d = tmp_path_factory.mktemp("families")
    d2, d2_state = make_dnabert2(d / "dnabert2")
    nt2, nt2_state = make_nt_v2(d / "nt2")
    return {
        DNABERT1: (make_tiny_model(d / "dnabert1", k=4, max_position_embeddings=64), None),
        DNABERT2: (d2, d2_state),
        NT1: (make_nt_v1(d / "nt1"), None),
        NT2: (nt2, nt2_state),
    }


# ------------------------------------------------------------------ plain forward passes


def layer_norm(x, w, b, eps=1e-12):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def softmax(s):
    e = torch.exp(s - s.max(-1, keepdim=True).values)
    return e / e.sum(-1, keepdim=True)


def gelu(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def dnabert2_direct(W, ids):
    """DNABERT-2 logits and per-layer attention for one unpadded sequence, written out plainly."""
    T, H = len(ids), HEADS
    x = W["bert.embeddings.word_embeddings.weight"][ids] + W["bert.embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, W["bert.embeddings.LayerNorm.weight"], W["bert.embeddings.LayerNorm.bias"])
    D = x.shape[1]
    d = D // H
    slopes = [2 ** (-8 * (h + 1) / H) for h in range(H)]  # ALiBi paper, H a power of two
    attn = []
    for i in range(LAYERS):
        p = f"bert.encoder.layer.{i}."
        qkv = x @ W[p + "attention.self.Wqkv.weight"].T + W[p + "attention.self.Wqkv.bias"]  # (T, 3D)
        heads, probs = [], []
        for h in range(H):
            q = qkv[:, h * d : (h + 1) * d]
            k = qkv[:, D + h * d : D + (h + 1) * d]
            v = qkv[:, 2 * D + h * d : 2 * D + (h + 1) * d]
            bias = torch.tensor([[-slopes[h] * abs(a - b) for b in range(T)] for a in range(T)])
            a = softmax(q @ k.T / math.sqrt(d) + bias)
            probs.append(a)
            heads.append(a @ v)
        attn.append(torch.stack(probs))
        ctx = torch.cat(heads, dim=1)
        x = layer_norm(
            ctx @ W[p + "attention.output.dense.weight"].T + W[p + "attention.output.dense.bias"] + x,
            W[p + "attention.output.LayerNorm.weight"],
            W[p + "attention.output.LayerNorm.bias"],
        )
        g = x @ W[p + "mlp.gated_layers.weight"].T
        inter = g.shape[1] // 2
        h_ = gelu(g[:, :inter]) * g[:, inter:]
        x = layer_norm(
            h_ @ W[p + "mlp.wo.weight"].T + W[p + "mlp.wo.bias"] + x, W[p + "mlp.layernorm.weight"], W[p + "mlp.layernorm.bias"]
        )
    pooled = torch.tanh(x[0] @ W["bert.pooler.dense.weight"].T + W["bert.pooler.dense.bias"])
    return pooled @ W["classifier.weight"].T + W["classifier.bias"], torch.stack(attn)


def rotate(x, pos):
    """Rotary embedding from its formula: pair (i, i + d/2) turned by pos * 10000^(-2i/d)."""
    T, d = x.shape
    out = torch.empty_like(x)
    for t in range(T):
        for i in range(d // 2):
            theta = pos[t] * 10000 ** (-2 * i / d)
            a, b = x[t, i], x[t, i + d // 2]
            out[t, i] = a * math.cos(theta) - b * math.sin(theta)
            out[t, i + d // 2] = b * math.cos(theta) + a * math.sin(theta)
    return out


def nt_v2_direct(W, ids):
    """NT v2 logits and per-layer attention for one unpadded sequence (pre-LN, rotary, SwiGLU without biases)."""
    T, H = len(ids), HEADS
    x = W["esm.embeddings.word_embeddings.weight"][ids]
    D = x.shape[1]
    d = D // H
    attn = []
    for i in range(LAYERS):
        p = f"esm.encoder.layer.{i}."
        y = layer_norm(x, W[p + "attention.LayerNorm.weight"], W[p + "attention.LayerNorm.bias"])
        lin = {
            n: y @ W[p + f"attention.self.{n}.weight"].T + W[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")
        }
        heads, probs = [], []
        for h in range(H):
            sl = slice(h * d, (h + 1) * d)
            q = rotate(lin["query"][:, sl] / math.sqrt(d), range(T))
            k = rotate(lin["key"][:, sl], range(T))
            a = softmax(q @ k.T)
            probs.append(a)
            heads.append(a @ lin["value"][:, sl])
        attn.append(torch.stack(probs))
        x = x + torch.cat(heads, dim=1) @ W[p + "attention.output.dense.weight"].T + W[p + "attention.output.dense.bias"]
        y = layer_norm(x, W[p + "LayerNorm.weight"], W[p + "LayerNorm.bias"])
        g = y @ W[p + "intermediate.dense.weight"].T
        inter = g.shape[1] // 2
        x = x + (torch.nn.functional.silu(g[:, :inter]) * g[:, inter:]) @ W[p + "output.dense.weight"].T
    x = layer_norm(x, W["esm.encoder.emb_layer_norm_after.weight"], W["esm.encoder.emb_layer_norm_after.bias"])
    c = torch.tanh(x[0] @ W["classifier.dense.weight"].T + W["classifier.dense.bias"])
    return c @ W["classifier.out_proj.weight"].T + W["classifier.out_proj.bias"], torch.stack(attn)


def model_ids(lm, seq):
    """The full input ids (specials included) of one sequence, as our tokenizer builds them."""
    ids, _ = lm.tokenizer.batch([lm.tokenizer.tokenize(seq)[0]])
    return ids[0]


SEQ = "ACGTTGACCATGACAGTTAGCNGGATCCAAGTTTTACGGGCATAC"


# ------------------------------------------------------------------ encoders vs independent computations


def test_alibi_slopes_follow_the_paper_for_any_head_count():
    assert torch.allclose(alibi_slopes(4), torch.tensor([2**-2, 2**-4, 2**-6, 2**-8]))
    # 12 heads (DNABERT-2-117M): the 8 slopes of 8 heads, then every other slope of 16 heads
    expected = [2.0**-i for i in range(1, 9)] + [2**-0.5, 2**-1.5, 2**-2.5, 2**-3.5]
    assert torch.allclose(alibi_slopes(12), torch.tensor(expected))


def test_dnabert2_matches_a_direct_computation(folders):
    path, W = folders[DNABERT2]
    lm = load_model(path)
    assert lm.family == DNABERT2 and lm.window == 62 and lm.labels == ["neg", "pos"] and not lm.pretrained_only
    logits, attn = dnabert2_direct(W, torch.as_tensor(model_ids(lm, SEQ)))
    pred = predict(lm, [SEQ])
    np.testing.assert_allclose(pred.logits[0], logits.numpy(), atol=1e-5)
    _, ours = attention_matrices(lm, SEQ)
    np.testing.assert_allclose(ours, attn.numpy(), atol=1e-6)


def test_padding_does_not_change_any_family(folders):
    """A sequence scored alone and in a padded batch next to a longer one gives the same logits and track."""
    for family, (path, _) in folders.items():
        lm = load_model(path)
        alone = predict(lm, [SEQ[:20]])
        batched = predict(lm, [SEQ[:20], SEQ], batch_size=2)
        np.testing.assert_allclose(batched.logits[0], alone.logits[0], atol=1e-5, err_msg=family)
        np.testing.assert_allclose(batched.scores[0], alone.scores[0], atol=1e-5, err_msg=family)


def test_dnabert2_masked_lm_from_a_bin_release(tmp_path):
    path, W = make_dnabert2(tmp_path / "mlm", head="mlm", weights="bin")
    lm = load_model(path, task="mlm")
    assert not lm.notes
    ids = torch.as_tensor(model_ids(lm, SEQ))
    with torch.no_grad():
        logits = lm.model(input_ids=ids[None]).logits[0]
        hidden = lm.model.bert(ids[None])[0]
    t = gelu(hidden @ W["cls.predictions.transform.dense.weight"].T + W["cls.predictions.transform.dense.bias"])
    t = layer_norm(t, W["cls.predictions.transform.LayerNorm.weight"], W["cls.predictions.transform.LayerNorm.bias"])
    expected = t @ W["bert.embeddings.word_embeddings.weight"].T + W["cls.predictions.decoder.bias"]  # tied decoder
    np.testing.assert_allclose(logits.numpy(), expected.numpy(), atol=1e-5)
    fresh = load_model(path)  # no classification head in a pre-training release
    assert fresh.pretrained_only and "fresh, untrained head" in fresh.notes[0]


def test_nt_v1_matches_transformers_esm(folders):
    path, _ = folders[NT1]
    lm = load_model(path)
    assert lm.family == NT1 and lm.window == 50 - 1 - 2
    ref = EsmForSequenceClassification.from_pretrained(path, attn_implementation="eager").eval()
    vocab = {t: i for i, t in enumerate(nt_vocab())}
    ids = [vocab["<cls>"], vocab["ACGTTG"], vocab["ACCATG"], vocab["A"], vocab["C"], vocab["N"], vocab["G"]]
    seq = "ACGTTGACCATGACNG"
    assert model_ids(lm, seq).tolist() == ids
    with torch.no_grad():
        out = ref(input_ids=torch.tensor([ids]), output_attentions=True)
    np.testing.assert_allclose(predict(lm, [seq]).logits[0], out.logits[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(attention_matrices(lm, seq)[1], torch.stack(out.attentions)[:, 0].numpy(), atol=1e-6)


def test_nt_v2_matches_a_direct_computation_with_rotary_from_its_formula(folders):
    path, W = folders[NT2]
    lm = load_model(path)
    assert lm.family == NT2 and lm.window == 2050 - 1 - 2
    logits, attn = nt_v2_direct(W, torch.as_tensor(model_ids(lm, SEQ)))
    np.testing.assert_allclose(predict(lm, [SEQ]).logits[0], logits.numpy(), atol=1e-5)
    # float32: probabilities up to ~0.6 agree to a few units in the last place
    np.testing.assert_allclose(attention_matrices(lm, SEQ)[1], attn.numpy(), rtol=1e-5, atol=1e-6)


def test_attention_rows_sum_to_one_and_tokens_are_the_models(folders):
    expected_tokens = {
        DNABERT1: lambda t: (
            t == ["[CLS]"] + [SEQ[i : i + 4] if "N" not in SEQ[i : i + 4] else "[UNK]" for i in range(len(SEQ) - 3)] + ["[SEP]"]
        ),
        DNABERT2: lambda t: t[0] == "[CLS]" and t[-1] == "[SEP]" and "".join(t[1:-1]) == SEQ,
        NT1: lambda t: t[0] == "<cls>" and "".join(t[1:]) == SEQ,
        NT2: lambda t: t[0] == "<cls>" and "".join(t[1:]) == SEQ,
    }
    for family, (path, _) in folders.items():
        lm = load_model(path)
        tokens, attn = attention_matrices(lm, SEQ)
        assert expected_tokens[family](tokens), (family, tokens)
        assert attn.shape[-1] == len(tokens)
        np.testing.assert_allclose(attn.sum(-1), 1.0, atol=1e-5, err_msg=family)


# ------------------------------------------------------------------ tokenizers


def test_nt_tokenizer_reads_ids_from_the_vocab_file_and_splits_at_n(tmp_path):
    vocab = nt_vocab()
    rng = np.random.default_rng(0)
    shuffled = [vocab[i] for i in rng.permutation(len(vocab))]
    (tmp_path / "vocab.txt").write_text("\n".join(shuffled) + "\n")
    tok = sixmer_tokenizer(tmp_path / "vocab.txt", window=100)
    seq = "ACGTACGTNACGTACGTACGT" + "ACG"
    # 6-mers from the left; N and bases that cannot start a clean 6-mer are single tokens
    expected = ["ACGTAC", "G", "T", "N", "ACGTAC", "GTACGT", "A", "C", "G"]
    ids, spans = tok.tokenize(seq)
    assert ids.tolist() == [shuffled.index(t) for t in expected]
    assert tok.token_strings(ids) == expected
    assert spans.tolist() == [[0, 6], [6, 7], [7, 8], [8, 9], [9, 15], [15, 21], [21, 22], [22, 23], [23, 24]]
    assert tok.token_strings(tok.prefix) == ["<cls>"] and tok.suffix == ()
    ids, _ = tok.tokenize("ACGRTT")  # an IUPAC code other than N: [UNK]
    assert tok.token_strings(ids) == ["A", "C", "G", "<unk>", "T", "T"]


def test_bpe_spans_tile_the_sequence(folders):
    lm = load_model(folders[DNABERT2][0])
    for seq in random_seqs(10, 1, 300, seed=3) + ["ACGTNNNNACGT"]:
        ids, spans = lm.tokenizer.tokenize(seq)
        pieces = lm.tokenizer.token_strings(ids)
        assert "".join(pieces) == seq
        ends = np.cumsum([len(p) for p in pieces])
        assert spans.tolist() == [[e - len(p), e] for p, e in zip(pieces, ends)]


def test_empty_sequence_is_a_clear_error(folders):
    lm = load_model(folders[NT2][0])
    with pytest.raises(SequenceError, match="sequence 2 is empty"):
        predict(lm, ["ACGT", ""])


# ------------------------------------------------------------------ per-nucleotide attention


def direct_track(lm, seq, layers):
    """Mean over the tokens covering each base of the [CLS] row summed over heads, by a loop; L2-normalised."""
    tokens, attn = attention_matrices(lm, seq)
    cls = attn[layers, :, 0, :].sum(axis=1).mean(axis=0)  # (T,)
    content = list(range(len(lm.tokenizer.prefix), len(tokens) - len(lm.tokenizer.suffix)))
    # spans from the token strings: k-mers overlap by k - 1, other pieces follow each other
    spans, pos = [], 0
    for t in content:
        n = lm.k if lm.family == DNABERT1 else len(tokens[t])
        spans.append((pos, pos + n))
        pos += 1 if lm.family == DNABERT1 else n
    track = np.zeros(len(seq))
    for j in range(len(seq)):
        covering = [cls[t] for t, (a, b) in zip(content, spans) if a <= j < b]
        track[j] = np.mean(covering)
    return track / np.linalg.norm(track)


@pytest.mark.parametrize("mode, layers", [("last", [-1]), ("mean", slice(None))])
def test_per_nucleotide_track_matches_a_direct_loop(folders, mode, layers):
    seq = SEQ[:31]
    for family, (path, _) in folders.items():
        lm = load_model(path)
        track = predict(lm, [seq], attention=mode).scores[0]
        np.testing.assert_allclose(track, direct_track(lm, seq, layers), atol=1e-6, err_msg=family)


def test_long_sequences_are_windowed_by_tokens_and_stitched_exactly(folders):
    """NT v2 with a 20-token window: each window's track equals that window scored on its own."""
    lm = load_model(folders[NT2][0], window=20)
    seq = "".join(np.random.default_rng(5).choice(list("ACGT"), size=300)) + "NACG" + "TTGACA" * 10
    pred = predict(lm, [seq], batch_size=3)
    n_tokens = len(lm.tokenizer.tokenize(seq)[0])
    windows = pred.windows[0]
    assert len(windows) == -(-n_tokens // 20) and windows[0, 0] == 0 and windows[-1, 1] == len(seq)
    assert np.all(windows[1:, 0] <= windows[:-1, 1])  # no gap between windows
    sums, cover, logits = np.zeros(len(seq)), np.zeros(len(seq)), []
    for start, end in windows:
        piece = seq[start:end]
        assert len(lm.tokenizer.tokenize(piece)[0]) == 20  # a window starts and ends on token boundaries
        one = predict(lm, [piece])
        logits.append(one.logits[0])
        tokens, attn = attention_matrices(lm, piece)
        cls = attn[-1, :, 0, 1:].sum(axis=0)
        sums[start:end] += np.repeat(cls, [len(t) for t in tokens[1:]])
        cover[start:end] += 1
    track = sums / cover
    np.testing.assert_allclose(pred.scores[0], track / np.linalg.norm(track), atol=1e-6)
    mean = np.mean(logits, axis=0)
    np.testing.assert_allclose(pred.probs[0], np.exp(mean) / np.exp(mean).sum(), atol=1e-6)


def test_dnabert2_windows_follow_bpe_tokens_and_may_exceed_the_training_length(folders):
    path = folders[DNABERT2][0]
    seq = "".join(np.random.default_rng(2).choice(list("ACGT"), size=900))
    lm = load_model(path)
    ids, spans = lm.tokenizer.tokenize(seq)
    pred = predict(lm, [seq])
    starts = set(spans[:, 0].tolist()) | {len(seq)}
    assert len(pred.windows[0]) == -(-len(ids) // 62)
    assert all(a in starts and b in starts for a, b in pred.windows[0].tolist())
    wide = load_model(path, window=len(ids))  # ALiBi: longer than the training length is allowed
    assert wide.window == len(ids) and predict(wide, [seq]).windows[0].tolist() == [[0, len(seq)]]
    with pytest.raises(CheckpointError, match="window 60 is not possible for NT v1"):
        load_model(folders[NT1][0], window=60)


# ------------------------------------------------------------------ detection and bad folders


def test_family_detection(folders, tmp_path):
    for family, (path, _) in folders.items():
        assert detect_family(path) == family
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(CheckpointError, match="model_type is 'gpt2'"):
        load_model(tmp_path)


def test_released_layout_is_enforced(tmp_path):
    path, W = make_dnabert2(tmp_path / "renamed")
    W = dict(W)
    W["bert.encoder.layer.0.attention.self.qkv.weight"] = W.pop("bert.encoder.layer.0.attention.self.Wqkv.weight")
    save_file(W, path / "model.safetensors")
    with pytest.raises(CheckpointError, match="missing .*Wqkv.weight.*unexpected .*qkv.weight"):
        load_model(path)
    path, W = make_dnabert2(tmp_path / "shape")
    W = dict(W)
    W["bert.encoder.layer.1.mlp.wo.weight"] = torch.zeros(3, 3)
    save_file(W, path / "model.safetensors")
    with pytest.raises(CheckpointError, match="do not fit a DNABERT-2 model"):
        load_model(path)
    path, _ = make_dnabert2(tmp_path / "notok")
    (path / "tokenizer.json").unlink()
    with pytest.raises(CheckpointError, match="tokenizer.json: missing"):
        load_model(path)


POSITIONS = "esm.embeddings.position_embeddings.weight"


def test_fixtures_hold_what_the_released_code_saves(tmp_path):
    """Each fixture's weights are the state_dict() of a reference rebuilt from the family's released code (names, shapes)."""
    cases = {
        "DNABERT-2 classifier": (make_dnabert2(tmp_path / "a")[0], lambda c: dnabert2_reference(c, "classification")),
        "DNABERT-2 masked LM": (make_dnabert2(tmp_path / "b", head="mlm")[0], lambda c: dnabert2_reference(c, "mlm")),
        "NT v1": (make_nt_v1(tmp_path / "c"), nt_reference),
        "NT v2 classifier": (make_nt_v2(tmp_path / "d")[0], nt_reference),
        "NT v2 masked LM": (make_nt_v2(tmp_path / "e", head="mlm")[0], lambda c: nt_reference(c, "mlm")),
    }
    for name, (folder, reference) in cases.items():
        saved = {k: tuple(v.shape) for k, v in load_file(folder / "model.safetensors").items()}
        assert saved == released_shapes(reference(json.loads((folder / "config.json").read_text()))), name
    # what transformers 4.3x created for NT v2 even with rotary positions: the tensor the old fixture missed
    assert POSITIONS in load_file(tmp_path / "d" / "model.safetensors")


def test_released_nt_v2_loads_saying_which_unused_tensors_were_ignored(tmp_path, capsys):
    path, W = make_nt_v2(tmp_path / "nt2")
    lm = load_model(path)
    note = f"ignored 1 tensor(s) that NT v2's released code creates but never uses: {POSITIONS}"
    assert lm.notes == [note]
    # the tensor is unused: the same outputs as from the same weights without it
    other, _ = make_nt_v2(tmp_path / "without")
    save_file({k: v for k, v in W.items() if k != POSITIONS}, other / "model.safetensors")
    np.testing.assert_array_equal(predict(lm, [SEQ]).logits, predict(load_model(other), [SEQ]).logits)
    assert load_model(other).notes == []
    mlm, _ = make_nt_v2(tmp_path / "mlm", head="mlm")
    assert load_model(mlm, task="mlm").notes == [note]
    # the command line says so too
    from explorer.cli import main

    (tmp_path / "in.fa").write_text(f">a\n{SEQ}\n")
    assert main(["predict", "--model", str(path), "--input", str(tmp_path / "in.fa"), "--out", str(tmp_path / "p.tsv")]) == 0
    assert f"note: {note}" in capsys.readouterr().err


def test_missing_and_foreign_tensors_are_still_refused(tmp_path):
    cases = {
        "foreign": lambda W: W | {"esm.embeddings.extra.weight": torch.zeros(3)},
        "missing": lambda W: {k: v for k, v in W.items() if k != "esm.encoder.layer.1.output.dense.weight"},
    }
    for name, edit in cases.items():
        path, W = make_nt_v2(tmp_path / name)
        save_file(edit(W), path / "model.safetensors")
        with pytest.raises(CheckpointError, match="not a NT v2 checkpoint in the released layout") as e:
            load_model(path)
        assert ("extra.weight" if name == "foreign" else "layer.1.output.dense.weight") in str(e.value)
    # position embeddings are unused only where the family's code does not read them: NT v1 reads them
    v1 = make_nt_v1(tmp_path / "v1")
    save_file({k: v for k, v in load_file(v1 / "model.safetensors").items() if k != POSITIONS}, v1 / "model.safetensors")
    with pytest.raises(CheckpointError, match=f"missing .*{POSITIONS}"):
        load_model(v1)
    d2, W = make_dnabert2(tmp_path / "d2")  # and DNABERT-2 has none
    save_file(W | {"bert.embeddings.position_embeddings.weight": torch.zeros(512, 32)}, d2 / "model.safetensors")
    with pytest.raises(CheckpointError, match="unexpected .*position_embeddings"):
        load_model(d2)


def test_a_smaller_window_for_dnabert1_splits_by_kmers(folders):
    lm = load_model(folders[DNABERT1][0], window=10)
    assert lm.window == 10
    pred = predict(lm, [SEQ])  # 42 4-mers -> 5 windows of 10 4-mers = 13 bases
    assert len(pred.windows[0]) == 5 and set((pred.windows[0][:, 1] - pred.windows[0][:, 0]).tolist()) == {13}
    with pytest.raises(CheckpointError, match="window 63 is not possible for DNABERT-1: choose 1..62"):
        load_model(folders[DNABERT1][0], window=63)
