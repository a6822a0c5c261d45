"""Every model command of the CLI on tiny DNABERT-2, NT v2 and NT v1 checkpoints (and a hub id), checked against direct calls."""

import numpy as np
import pandas as pd
import pytest
from support import random_seqs
from family_fixtures import make_dnabert2, make_nt_v1, make_nt_v2, put_in_hub_cache

from dnabert.loading.checkpoint import load_model
from dnabert.analysis.inference import predict
from dnabert.loading.model_info import window_bases
from dnabert.outputs import load_attention_npz
from explorer.cli import main

SEQS = random_seqs(12, 40, 90, seed=5)
SEQS[1] = SEQS[1][:20] + "NNN" + SEQS[1][23:]  # N: an unknown BPE piece, single-base NT tokens


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("families")
    return {
        "DNABERT-2": make_dnabert2(root / "d2")[0],
        "NT v2": make_nt_v2(root / "nt2")[0],
        "NT v1": make_nt_v1(root / "nt1"),
    }


@pytest.fixture(scope="module")
def fasta(tmp_path_factory):
    p = tmp_path_factory.mktemp("input") / "in.fa"
    p.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(SEQS)))
    return p


FAMILIES = ["DNABERT-2", "NT v2", "NT v1"]


@pytest.mark.parametrize("family", FAMILIES)
def test_predict_attention_and_scan(family, models, fasta, tmp_path, capsys):
    model = str(models[family])
    lm = load_model(model)
    assert main(["predict", "--model", model, "--input", str(fasta), "--out", str(tmp_path / "p.tsv")]) == 0
    err = capsys.readouterr().err
    assert f"model: {family} · {lm.tokenizer.name} · window {lm.window} tokens" in err
    table = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    np.testing.assert_allclose(table[["p_neg", "p_pos"]].to_numpy(), predict(lm, SEQS, attention=None).probs, rtol=1e-5)

    args = ["attention", "--model", model, "--input", str(fasta), "--out", str(tmp_path / "a.npz"), "--attention", "rollout"]
    assert main(args) == 0
    _ids, tracks = load_attention_npz(tmp_path / "a.npz")
    for got, want in zip(tracks, predict(lm, SEQS, attention="rollout").scores):
        np.testing.assert_allclose(got, want, rtol=1e-5)
    with np.load(tmp_path / "a.npz") as z:
        assert str(z["family"]) == family and str(z["tokenizer"]) == lm.tokenizer.name and "k" not in z.files

    assert (
        main(
            [
                "scan",
                "--model",
                model,
                "--input",
                str(fasta),
                "--window",
                "30",
                "--stride",
                "20",
                "--out",
                str(tmp_path / "s.tsv"),
            ]
        )
        == 0
    )
    scan = pd.read_csv(tmp_path / "s.tsv", sep="\t")
    row = scan.iloc[3]
    piece = SEQS[int(row["id"][1:])][int(row["start"]) : int(row["end"])]
    assert len(piece) == 30
    np.testing.assert_allclose([row["p_neg"], row["p_pos"]], predict(lm, [piece], attention=None).probs[0], rtol=1e-4)


def test_scan_refuses_a_window_with_more_tokens_than_the_model_takes(models, fasta, tmp_path, capsys):
    model = str(make_dnabert2(tmp_path / "short", alibi_starting_size=10)[0])  # 8 tokens per window
    assert main(["scan", "--model", model, "--input", str(fasta), "--window", "80", "--out", str(tmp_path / "s.tsv")]) == 2
    err = capsys.readouterr().err
    assert "--window 80 bp gives" in err and "more than the model window of 8 tokens (DNABERT-2)" in err
    assert not (tmp_path / "s.tsv").exists()


@pytest.mark.parametrize("family", FAMILIES)
def test_mutate_saturation_variant_list_and_vcf(family, models, fasta, tmp_path):
    model = str(models[family])
    lm = load_model(model)
    one = tmp_path / "one.fa"
    one.write_text(f">x\n{SEQS[0][:25]}\n")
    assert main(["mutate", "--model", model, "--input", str(one), "--out", str(tmp_path / "m.tsv")]) == 0
    table = pd.read_csv(tmp_path / "m.tsv", sep="\t")
    assert len(table) == 3 * 25
    seq = SEQS[0][:25]
    for _, r in table.head(4).iterrows():  # every mutant re-tokenised and scored whole
        mutant = seq[: r["position"]] + r["alt"] + seq[r["position"] + 1 :]
        assert r["p_mut"] == pytest.approx(predict(lm, [mutant], attention=None).probs[0, 1], rel=1e-4)
        assert r["p_wt"] == pytest.approx(predict(lm, [seq], attention=None).probs[0, 1], rel=1e-4)

    variants = tmp_path / "v.tsv"
    variants.write_text("s2\t5\t8\t-\ns3\t10\t10\tACGTAC\n")
    assert (
        main(
            [
                "mutate",
                "--model",
                model,
                "--input",
                str(fasta),
                "--variants",
                str(variants),
                "--out",
                str(tmp_path / "v_out.tsv"),
                "--attention-change",
            ]
        )
        == 0
    )
    scored = pd.read_csv(tmp_path / "v_out.tsv", sep="\t").set_index("id")
    deleted = SEQS[2][:5] + SEQS[2][8:]
    assert scored.loc["s2", "p_mut"] == pytest.approx(predict(lm, [deleted], attention=None).probs[0, 1], rel=1e-4)

    genome = tmp_path / "ref.fa"
    chrom = "".join(np.random.default_rng(1).choice(list("ACGT"), 400))
    genome.write_text(f">chr1\n{chrom}\n")
    alt = "A" if chrom[199] != "A" else "C"
    vcf = tmp_path / "calls.vcf"
    vcf.write_text(
        f"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t200\t.\t{chrom[199]}\t{alt}\t.\t.\t.\n"
    )
    args = [
        "mutate",
        "--model",
        model,
        "--vcf",
        str(vcf),
        "--genome",
        str(genome),
        "--width",
        "41",
        "--out",
        str(tmp_path / "vcf.tsv"),
    ]
    assert main(args) == 0
    r = pd.read_csv(tmp_path / "vcf.tsv", sep="\t").iloc[0]
    ref_window = chrom[199 - 20 : 199 + 21]  # 41 bp centred on the variant (0-based 199)
    mut_window = ref_window[:20] + alt + ref_window[21:]
    assert r["p_wt"] == pytest.approx(predict(lm, [ref_window], attention=None).probs[0, 1], rel=1e-4)
    assert r["p_mut"] == pytest.approx(predict(lm, [mut_window], attention=None).probs[0, 1], rel=1e-4)
    assert main([*args[:-4], "--width", str(window_bases(lm) + 1), "--out", str(tmp_path / "w.tsv")]) == 2


@pytest.mark.parametrize("family", ["DNABERT-2", "NT v2"])
def test_motifs_tracks_known_motifs_and_embed(family, models, fasta, tmp_path):
    model = str(models[family])
    lm = load_model(model)
    out = tmp_path / "motifs"
    assert main(["motifs", "--model", model, "--positives", str(fasta), "--no-match", "--logos", "none", "--out", str(out)]) == 0
    assert (out / "report.html").is_file()

    tracks = tmp_path / "tracks"
    assert (
        main(["tracks", "--model", model, "--input", str(fasta), "--attribution", "gradient_x_input", "--out", str(tracks)]) == 0
    )
    bedgraph = pd.read_csv(tracks / "attention.bedGraph", sep="\t", comment="t", header=None)
    first = bedgraph[bedgraph[0] == "s0"].sort_values(1)
    per_base = np.repeat(first[3].to_numpy(), (first[2] - first[1]).to_numpy())  # bedGraph runs of equal values
    np.testing.assert_allclose(per_base, predict(lm, SEQS[:1]).scores[0], rtol=1e-4, atol=1e-6)
    assert (tracks / "attribution.bw").is_file()

    db = tmp_path / "db.meme"
    db.write_text(
        "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n"
        "MOTIF M1 acgt\nletter-probability matrix: alength= 4 w= 4 nsites= 10 E= 0\n"
        "0.97 0.01 0.01 0.01\n0.01 0.97 0.01 0.01\n0.01 0.01 0.97 0.01\n0.01 0.01 0.01 0.97\n"
    )
    known = tmp_path / "known"
    assert (
        main(
            [
                "known-motifs",
                "--model",
                model,
                "--positives",
                str(fasta),
                "--motif-db",
                str(db),
                "--threshold",
                "0.01",
                "--out",
                str(known),
            ]
        )
        == 0
    )
    assert (known / "known_motifs.tsv").is_file()

    emb = tmp_path / "map.tsv"
    assert (
        main(
            [
                "embed",
                "--model",
                model,
                "--input",
                str(fasta),
                "--pooling",
                "mean",
                "--out",
                str(emb),
                "--npz",
                str(tmp_path / "e.npz"),
            ]
        )
        == 0
    )
    with np.load(tmp_path / "e.npz") as z:
        vectors = z["embeddings"]
    assert vectors.shape == (len(SEQS), lm.model.config.hidden_size) and np.isfinite(vectors).all()


def test_compare_two_families_and_help_names_the_model(models, fasta, tmp_path, capsys):
    out = tmp_path / "c.tsv"
    args = ["compare", "--model", str(models["DNABERT-2"]), "--compare", str(models["NT v2"]), "--input", str(fasta)]
    assert main([*args, "--out", str(out), "--npz", str(tmp_path / "t.npz")]) == 0
    table = pd.read_csv(out, sep="\t")
    a = predict(load_model(models["DNABERT-2"]), SEQS).scores
    b = predict(load_model(models["NT v2"]), SEQS).scores
    assert table["pearson"].to_numpy() == pytest.approx([np.corrcoef(x, y)[0, 1] for x, y in zip(a, b)], rel=1e-4)
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["predict", "--model", str(models["NT v2"]), "--help"])
    text = capsys.readouterr().out
    assert "NT v2 · non-overlapping 6-mers · window 2047 tokens" in text and "DNABERT-2" in text  # the --model help too


def test_a_hub_id_works_in_the_cli(models, fasta, tmp_path, monkeypatch, capsys):
    cache = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    put_in_hub_cache(cache, "zhihan1996/DNABERT-2-117M", models["DNABERT-2"])
    out = tmp_path / "p.tsv"
    assert main(["predict", "--model", "zhihan1996/DNABERT-2-117M", "--input", str(fasta), "--out", str(out)]) == 0
    want = predict(load_model(models["DNABERT-2"]), SEQS, attention=None).probs
    np.testing.assert_allclose(pd.read_csv(out, sep="\t")[["p_neg", "p_pos"]].to_numpy(), want, rtol=1e-5)
    assert main(["predict", "--model", "nobody/missing", "--input", str(fasta), "--out", str(tmp_path / "q.tsv")]) == 2
    assert "model id 'nobody/missing'" in capsys.readouterr().err
