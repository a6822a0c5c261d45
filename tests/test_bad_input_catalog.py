"""The bad-input catalog: every entry point fed every kind of bad input.

Each row of the tables below is a kind of input a user may have; each entry
point that reads such input must give either a specific error (asserted by its
text) or the documented normalisation (asserted by its result): lowercase is
upper-cased, U read as T, CRLF and a byte order mark are accepted, duplicate
ids are renamed ``id_2``, missing ids named ``seq<N>``, N and IUPAC codes are
kept (their k-mers are [UNK]). Never a traceback, never an output file after
an error, and never a lost record: no entry point drops single records, so
the records that come out are exactly those that went in (pre-training, which
skips sequences without a stretch of max(k, min-length) A/C/G/T bases, says
how many).

Entry points: the CLI subcommands (run in-process through ``explorer.cli.main``),
the Python readers and loaders, and the app's upload paths (through AppTest).
Every model here is one tiny k = 6 model whose window is 10 k-mers (15 bp), so
"far longer than the window" costs little.
"""

from __future__ import annotations

import gzip
import json
import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import APP_SCRIPT, make_tiny_model
from streamlit.testing.v1 import AppTest

from dnabert.loading.checkpoint import load_model
from dnabert.errors import InputError
from dnabert.training.tables import read_labeled
from dnabert.analysis.inference import predict
from dnabert.families.kmer import build_vocab
from dnabert.outputs import load_attention_npz
from dnabert.sequences import parse_sequences
from dnabert.analysis.variants import read_variant_list
from dnabert.genome.vcf import vcf_chunks
from explorer.cli import main
from motif.jaspar import load_jaspar
from motif.meme import format_meme, read_meme
from motif.pipeline import find_motifs

BOM = b"\xef\xbb\xbf"
SEQS = {"a": "ACGTACGTACGTAGCTAGCA", "b": "TTGACGATCGATCGACTAGC"}  # well-formed input where a case needs some
FASTA = "".join(f">{i}\n{s}\n" for i, s in SEQS.items()).encode()
LONG = b"ACGTTGCAAGGCTTACGATC" * 10  # 200 bp: 20 windows of the catalog model


@dataclass
class Error:
    """Expect an InputError whose message contains ``text``."""

    text: str


@dataclass
class Kept:
    """Expect success with exactly these records out (in any order) and, if given, this note to the user."""

    ids: list[str]
    note: str | None = None


@dataclass
class Outcome:
    """What an entry point did: its error message, or the records it put out and the messages it showed.

    ``ids`` is None where the output does not list records; ``count`` is None
    where it does not count them either.
    """

    error: str | None
    ids: list[str] | None = None
    count: int | None = None
    messages: str = ""


def check(outcome: Outcome, expected: Error | Kept) -> None:
    if isinstance(expected, Error):
        assert outcome.error is not None, f"expected an error with {expected.text!r}, got success"
        assert expected.text in outcome.error
        return
    assert outcome.error is None, outcome.error
    if outcome.ids is not None:
        assert sorted(outcome.ids) == sorted(expected.ids)
    if outcome.count is not None:
        assert outcome.count == len(expected.ids)
    if expected.note:
        assert expected.note in outcome.messages


@dataclass
class Ctx:
    """Where a case writes (``inputs``, ``out``), the catalog ``model``, and pytest's ``capsys`` and ``monkeypatch``."""

    inputs: Path
    out: Path
    model: Path
    capsys: pytest.CaptureFixture
    monkeypatch: pytest.MonkeyPatch

    def write(self, name: str, data: bytes | str) -> Path:
        path = self.inputs / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path


@pytest.fixture(scope="module")
def catalog_model(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("catalog_models") / "tiny", max_position_embeddings=12)


@pytest.fixture
def ctx(tmp_path, catalog_model, capsys, monkeypatch) -> Ctx:
    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(catalog_model.parent))
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    return Ctx(tmp_path / "in", tmp_path / "out", catalog_model, capsys, monkeypatch)


def files_under(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


def cli(ctx: Ctx, *argv, read: Callable[[str], Outcome] | None = None) -> Outcome:
    """Run ``dnabert <argv>`` in-process: exit 2 with ``error:`` and no new file, or exit 0 and ``read(stderr)``."""
    before = files_under(ctx.out)
    rc = main([str(a) for a in argv])
    err = ctx.capsys.readouterr().err
    assert "Traceback" not in err
    if rc == 2:
        assert "error: " in err
        assert files_under(ctx.out) == before, "an output was left behind after an error"
        return Outcome(error=err.rsplit("error: ", 1)[1].strip(), messages=err)
    assert rc == 0, err
    outcome = read(err) if read else Outcome(None)
    outcome.messages = err
    return outcome


def api(call: Callable[[], object], read: Callable[[object], Outcome] = lambda _: Outcome(None)) -> Outcome:
    """Call a Python entry point: an InputError is its error message; anything else fails the test."""
    try:
        result = call()
    except InputError as e:
        return Outcome(error=str(e))
    return read(result)


def app_session(model: Path) -> AppTest:
    """A fresh app session on ``model``, a folder inside ``DNABERT_MODEL_DIRS`` (so the picker offers it).

    The choice is put in the session state before the first run: AppTest (Streamlit 1.67) re-runs only
    the page script after the first run, so the sidebar picker cannot be clicked; the state persists.
    """
    at = AppTest.from_file(APP_SCRIPT, default_timeout=120)
    at.session_state["model_name"] = f"{model.parent.name}/{model.name}"
    return at.run()


def app_errors(at: AppTest) -> str | None:
    assert not at.exception, at.exception
    return " ".join(e.value for e in at.error) or None


# ----------------------------------------------------------------------------- sequence input

SEQUENCE_KINDS: dict[str, tuple[bytes, Error | Kept]] = {
    "empty file": (b"", Error("the input is empty")),
    "blank lines only": (b"\n \r\n\t\n", Error("the input is empty")),
    "binary": (bytes(range(256)) * 8, Error("looks like a binary file")),
    "UTF-16 text": (">a\nACGTACGTAC\n".encode("utf-16"), Error("looks like a binary file")),
    "PDF": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", Error("this is a PDF")),
    "JSON": (b'{"sequences": ["ACGTACGTAC"]}', Error("unrecognised format (starts with '{')")),
    "FASTQ": (b"@r1\nACGTACGTACGT\n+\nIIIIIIIIIIII\n", Error("unrecognised format (starts with '@')")),
    "truncated gzip": (gzip.compress(FASTA * 40)[:60], Error("the gzip file is truncated or corrupt")),
    "non-nucleotide letter": (b">a\nACGTACGTAC\n>b\nACGTXACGTACGT\n", Error("input.fa: record 'b': character 'X' at position 4")),
    "alignment gap": (b">a\nACGT-ACGTACGT\n", Error("record 'a': character '-' at position 4")),
    "text line in plain input": (b"ACGTACGTAC\nmy sequences\n", Error("record 'line 2': character 'e' at position 3")),
    "header without sequence": (b">a\n>b\nACGTACGTAC\n", Error("record 'a' (record 1) has no sequence")),
    "lowercase / soft-masked": (b">a\nacgtacgtACGTAAAAcc\n", Kept(["a"], "lowercase (soft-masked) letters: upper-cased")),
    "N runs": (b">a\nACGTACGT" + b"N" * 40 + b"ACGTACGTAC\n", Kept(["a"])),
    "IUPAC codes": (b">a\nACGTACRYKMSWBDHVACGTAC\n", Kept(["a"])),
    "only N": (b">a\n" + b"N" * 30 + b"\n", Kept(["a"])),
    "RNA (U)": (b">a\nACGUACGUACGUAC\n", Kept(["a"], "contained U: read as T")),
    "Windows line endings": (b">a\r\nACGTACGTAC\r\nGGCCAATT\r\n>b\r\nACGTACGTTT\r\n", Kept(["a", "b"])),
    "byte order mark": (BOM + b">a\nACGTACGTACGT\n", Kept(["a"])),
    "plain text, one per line": (b"ACGTACGTAC\n\nTTGACCATGA\n", Kept(["seq1", "seq2"])),
    "duplicate ids": (b">a\nACGTACGTAC\n>a\nTTGACCATGA\n", Kept(["a", "a_2"], "duplicate id(s) were made unique")),
    "missing ids": (b">\nACGTACGTAC\n>b\nTTGACCATGA\n", Kept(["seq1", "b"], "without an id were named seq<N>")),
    "shorter than k": (b">a\nACGTACGTAC\n>tiny\nACG\n", Error("sequence 'tiny' (record 2) is 3 bp, shorter than k=6")),
    "far longer than the window": (b">long\n" + LONG + b"\n>a\nACGTACGTAC\n", Kept(["long", "a"])),
}


def via_parse(ctx: Ctx, src: Path) -> Outcome:
    return api(lambda: parse_sequences(src.read_bytes(), src.name), lambda d: Outcome(None, d.ids, messages=str(d.notes)))


def tsv_ids(path: Path) -> Callable[[str], Outcome]:
    """Reader of the distinct ids in the ``id`` column of a TSV output, in order of appearance."""
    return lambda _: Outcome(None, pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)["id"].unique().tolist())


def via_predict(ctx: Ctx, src: Path) -> Outcome:
    out = ctx.out / "preds.tsv"
    return cli(ctx, "predict", "--model", ctx.model, "--input", src, "--out", out, read=tsv_ids(out))


def via_attention(ctx: Ctx, src: Path) -> Outcome:
    out = ctx.out / "scores.npz"

    def read(_: str) -> Outcome:
        ids, tracks = load_attention_npz(out)
        assert all(np.isfinite(t).all() for t in tracks)
        return Outcome(None, ids)

    return cli(ctx, "attention", "--model", ctx.model, "--input", src, "--out", out, read=read)


def via_scan(ctx: Ctx, src: Path) -> Outcome:
    out = ctx.out / "scan.tsv"
    return cli(ctx, "scan", "--model", ctx.model, "--input", src, "--window", 12, "--stride", 6, "--out", out, read=tsv_ids(out))


def via_mutate(ctx: Ctx, src: Path) -> Outcome:
    out = ctx.out / "mutations.tsv"
    return cli(ctx, "mutate", "--model", ctx.model, "--input", src, "--batch-size", 256, "--out", out, read=tsv_ids(out))


def via_motifs(ctx: Ctx, src: Path) -> Outcome:
    def read(err: str) -> Outcome:  # "wrote M motifs from N positives and ..."
        return Outcome(None, count=int(err.split(" positives and ")[0].rsplit(" ", 1)[1]))

    return cli(ctx, "motifs", "--model", ctx.model, "--positives", src, "--no-match", "--out", ctx.out / "m", read=read)


def via_pretrain(ctx: Ctx, src: Path) -> Outcome:
    return cli(
        ctx, "pretrain", "--k", 6, "--layers", 1, "--hidden", 16, "--heads", 2, "--max-steps", 1, "--batch-size", 8,
        "--input", src, "--out", ctx.out / "mlm",
    )  # fmt: skip


def via_app(ctx: Ctx, src: Path) -> Outcome:
    """Data page upload, then the Predict page: errors on either, else the ids in the predictions table."""
    at = app_session(ctx.model)
    assert app_errors(at) is None and at.session_state["model_name"].endswith("/tiny")
    at.file_uploader(key="positives_file").upload(src.name, src.read_bytes())
    at.button[0].click().run()
    error = app_errors(at)
    if error:
        assert "positives" not in at.session_state
        return Outcome(error)
    notes = " ".join(i.value for i in at.info)
    at.switch_page("../pages/predict.py").run()
    error = app_errors(at)
    if error:
        return Outcome(error)
    return Outcome(None, at.dataframe[0].value["id"].tolist(), messages=notes)


SEQUENCE_ENTRIES = {
    "parse_sequences": via_parse,
    "predict": via_predict,
    "attention": via_attention,
    "scan": via_scan,
    "mutate": via_mutate,
    "motifs": via_motifs,
    "pretrain": via_pretrain,
    "app upload": via_app,
}
# where an entry point documents something else than the kind's default
SEQUENCE_OVERRIDES: dict[tuple[str, str], Error | Kept] = {
    ("shorter than k", "parse_sequences"): Kept(["a", "tiny"]),  # no model, no k: kept
    # pre-training skips what has no stretch of max(k, --min-length) A/C/G/T bases and says so
    ("shorter than k", "pretrain"): Kept(["a"], "1 sequence(s) without a stretch of at least max(k, --min-length) A/C/G/T"),
    ("only N", "pretrain"): Error("no sequence has a stretch of at least 6 A/C/G/T bases"),
    # pre-training reads sequences without their ids and shows no normalisation notes
    ("lowercase / soft-masked", "pretrain"): Kept(["a"]),
    ("RNA (U)", "pretrain"): Kept(["a"]),
    ("duplicate ids", "pretrain"): Kept(["a", "a_2"]),
    ("missing ids", "pretrain"): Kept(["seq1", "b"]),
}


@pytest.mark.parametrize("entry", SEQUENCE_ENTRIES)
@pytest.mark.parametrize("kind", SEQUENCE_KINDS)
def test_sequence_input(ctx, kind, entry):
    content, expected = SEQUENCE_KINDS[kind]
    check(SEQUENCE_ENTRIES[entry](ctx, ctx.write("input.fa", content)), SEQUENCE_OVERRIDES.get((kind, entry), expected))


@pytest.mark.parametrize(
    "kind, seqs",
    [
        ("lowercase / soft-masked", ["ACGTACGTACGTAAAACC"]),
        ("RNA (U)", ["ACGTACGTACGTAC"]),
        ("N runs", ["ACGTACGT" + "N" * 40 + "ACGTACGTAC"]),
        ("IUPAC codes", ["ACGTACRYKMSWBDHVACGTAC"]),
        ("Windows line endings", ["ACGTACGTACGGCCAATT", "ACGTACGTTT"]),
        ("byte order mark", ["ACGTACGTACGT"]),
        ("plain text, one per line", ["ACGTACGTAC", "TTGACCATGA"]),
        ("duplicate ids", ["ACGTACGTAC", "TTGACCATGA"]),
    ],
)
def test_normalised_sequences_are_the_documented_ones(kind, seqs):
    """What the kept kinds above turn into (every entry point reads sequences with parse_sequences)."""
    assert parse_sequences(SEQUENCE_KINDS[kind][0]).seqs == seqs


PREDICT_KINDS = {  # the Python predict takes sequences as strings: (sequences, error or the sequences it must equal)
    "no sequence": ([], []),
    "lowercase / soft-masked": (["acgtacgtACGTAAAAcc"], ["ACGTACGTACGTAAAACC"]),
    "RNA (U)": (["ACGUACGUACGUAC"], ["ACGTACGTACGTAC"]),
    "N runs": (["ACGTACGT" + "N" * 40 + "ACGTACGTAC"], None),
    "IUPAC codes": (["ACGTACRYKMSWBDHVACGTAC"], None),
    "far longer than the window": ([LONG.decode(), "ACGTACGTAC"], None),
    "shorter than k": (["ACGTACGTAC", "ACG"], Error("sequence 2 has length 3, shorter than k=6: it has no 6-mer to score")),
}


@pytest.mark.parametrize("kind", PREDICT_KINDS)
def test_predict_api(catalog_model, kind):
    seqs, expected = PREDICT_KINDS[kind]
    lm = load_model(catalog_model)
    if isinstance(expected, Error):
        check(api(lambda: predict(lm, seqs)), expected)
        return
    pred = predict(lm, seqs)
    assert len(pred.probs) == len(pred.scores) == len(pred.windows) == len(seqs)  # one result per sequence
    assert all(np.isfinite(t).all() and len(t) == len(s) for t, s in zip(pred.scores, seqs))
    if expected:
        same = predict(lm, expected)
        np.testing.assert_array_equal(pred.probs, same.probs)
        np.testing.assert_array_equal(np.concatenate(pred.scores), np.concatenate(same.scores))


# ----------------------------------------------------------------------------- model folders


def damaged(ctx: Ctx, kind: str) -> Path:
    """A copy of the catalog model damaged in one way; returns what to pass as the model."""
    path = ctx.inputs / "models" / "broken"
    shutil.copytree(ctx.model, path)
    weights, config = path / "model.safetensors", path / "config.json"
    if kind == "a file, not a folder":
        return weights
    if kind == "empty folder":
        shutil.rmtree(path)
        path.mkdir()
    elif kind == "corrupt weights":
        weights.write_bytes(b"\x00garbage" * 100)
    elif kind == "truncated weights":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    elif kind == "pickled code instead of weights":
        weights.unlink()
        (path / "pytorch_model.bin").write_bytes(pickle.dumps({"w": Payload(str(ctx.inputs / "pwned"))}))
    elif kind == "vocabulary of another k":
        (path / "vocab.txt").write_text("\n".join(build_vocab(4)) + "\n")
    elif kind == "weights of another shape":
        config.write_text(json.dumps({**json.loads(config.read_text()), "hidden_size": 64, "intermediate_size": 128}))
    elif kind == "config not JSON":
        config.write_text("{hidden_size: 32")
    elif kind == "not a BERT":
        config.write_text(json.dumps({**json.loads(config.read_text()), "model_type": "gpt2"}))
    return path


class Payload:
    """Unpickling this creates a file: loading must never unpickle it."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


CHECKPOINT_KINDS = {
    "a file, not a folder": "is a file, not a model folder",
    "empty folder": "config.json: missing",
    "corrupt weights": "the weights could not be loaded",
    "truncated weights": "the weights could not be loaded",
    "pickled code instead of weights": "the weights could not be loaded",
    "vocabulary of another k": "vocab_size is 4101 but vocab.txt has 261 tokens",
    "weights of another shape": "the weights could not be loaded",
    "config not JSON": "not valid JSON",
    "not a BERT": "only BERT (DNABERT) checkpoints are supported",
}


def model_via_load(ctx: Ctx, model: Path) -> Outcome:
    return api(lambda: load_model(model))


def model_via_predict(ctx: Ctx, model: Path) -> Outcome:
    return cli(ctx, "predict", "--model", model, "--input", ctx.write("in.fa", FASTA), "--out", ctx.out / "p.tsv")


def model_via_finetune(ctx: Ctx, model: Path) -> Outcome:
    table = ctx.write("train.tsv", "sequence\tlabel\nACGTACGTAC\t1\nTTGACCATGA\t0\n")
    return cli(ctx, "finetune", "--model", model, "--train", table, "--epochs", 0.01, "--out", ctx.out / "ft")


def model_via_pretrain(ctx: Ctx, model: Path) -> Outcome:
    fa = ctx.write("in.fa", FASTA)
    return cli(ctx, "pretrain", "--model", model, "--input", fa, "--max-steps", 1, "--out", ctx.out / "pt")


def model_via_app(ctx: Ctx, model: Path) -> Outcome | None:
    """The app's picker over the folder holding the damaged model; None when the picker does not offer it."""
    models = ctx.inputs / "models"
    ctx.monkeypatch.setenv("DNABERT_MODEL_DIRS", str(models))
    offered = AppTest.from_file(APP_SCRIPT, default_timeout=120).run().selectbox(key="model_name").options
    return Outcome(app_errors(app_session(model))) if f"{models.name}/{model.name}" in offered else None


MODEL_ENTRIES = {
    "load_model": model_via_load,
    "predict --model": model_via_predict,
    "finetune --model": model_via_finetune,
    "pretrain --model": model_via_pretrain,
    "app model picker": model_via_app,
}
NOT_OFFERED = {"a file, not a folder", "empty folder"}  # the picker lists only folders with a config.json


@pytest.mark.parametrize("entry", MODEL_ENTRIES)
@pytest.mark.parametrize("kind", CHECKPOINT_KINDS)
def test_model_folder(ctx, kind, entry):
    model = damaged(ctx, kind)
    outcome = MODEL_ENTRIES[entry](ctx, model)
    if entry == "app model picker" and kind in NOT_OFFERED:
        assert outcome is None, "the picker offered a folder that is not a model"
    else:
        check(outcome, Error(CHECKPOINT_KINDS[kind]))
    assert not (ctx.inputs / "pwned").exists(), "a pickled payload was executed"


# ----------------------------------------------------------------------------- attention scores, motif files, JASPAR


def scores_file(ctx: Ctx, kind: str) -> Path:
    """An attention-scores file (as ``dnabert attention`` writes) for ``SEQS``, with one kind of fault."""
    tracks = {rid: np.linspace(0, 1, len(s)) for rid, s in SEQS.items()}
    arrays = {"ids": np.array(list(tracks)), "lengths": np.array([len(t) for t in tracks.values()])}
    if kind == "mismatched score arrays":  # scores of other, shorter sequences
        tracks = {rid: t[:-3] for rid, t in tracks.items()}
        arrays["lengths"] -= 3
    elif kind == "NaN score":
        tracks["b"][7] = np.nan
    elif kind == "infinite score":
        tracks["a"][0] = np.inf
    elif kind == "scores of other ids":
        arrays["ids"] = np.array(["x", "y"])
    elif kind == "not a scores file":
        return ctx.write("scores.npz", b"PK\x03\x04 broken zip")
    path = ctx.inputs / "scores.npz"
    np.savez(path, scores=np.concatenate(list(tracks.values())), **arrays)
    return path


SCORE_KINDS = {
    "mismatched score arrays": "scores of sequence 'a' have 17 values but the sequence has 20 bases",
    "NaN score": "scores of sequence 'b' contain nan at position 7",
    "infinite score": "scores of sequence 'a' contain inf at position 0",
    "scores of other ids": "no scores for 2 of 2 positive sequences (e.g. 'a')",
    "not a scores file": "not a .npz from 'dnabert attention'",
}
FILE_ONLY = {"scores of other ids", "not a scores file"}  # faults of a file: the Python API takes arrays


@pytest.mark.parametrize(
    "kind, entry",
    [(k, "motifs --scores") for k in SCORE_KINDS] + [(k, "find_motifs") for k in SCORE_KINDS if k not in FILE_ONLY],
)
def test_attention_scores(ctx, kind, entry):
    path = scores_file(ctx, kind)
    if entry == "find_motifs":
        with np.load(path) as z:
            tracks = np.split(z["scores"], np.cumsum(z["lengths"])[:-1])
        outcome = api(lambda: find_motifs(list(SEQS.values()), tracks, pos_ids=list(SEQS)))
    else:
        fa = ctx.write("in.fa", FASTA)
        outcome = cli(ctx, "motifs", "--positives", fa, "--scores", path, "--no-match", "--out", ctx.out / "m")
    check(outcome, Error(SCORE_KINDS[kind]))


MEME = format_meme(["m1", "m2"], [np.full((4, 3), 0.25), np.eye(4)[:, [0, 1, 2, 3, 0]]], [5, 9], [0.01, 0.02], np.full(4, 0.25))
NOT_PROBABILITIES = "is not a 4-letter DNA probability matrix"
MEME_KINDS = {
    "empty file": (b"", Error("no MOTIF found")),
    "binary": (bytes(range(256)) * 4, Error("not a readable MEME motif file")),
    "JSON": (b'{"motifs": []}', Error("no MOTIF found")),
    "gzipped": (gzip.compress(MEME.encode()), Error("not a readable MEME motif file")),
    "truncated between rows": ("\n".join(MEME.splitlines()[:-2]).encode(), Error("2 MOTIF lines but 1 complete motifs")),
    "truncated inside a row": (MEME[: MEME.rindex("1.000000") + 8].encode(), Error(f"motif 'm2' {NOT_PROBABILITIES}")),
    "duplicate motif names": (MEME.replace("MOTIF m2", "MOTIF m1").encode(), Error("2 MOTIF lines but 1 complete motifs")),
    "NaN probability": (MEME.replace("0.250000", "nan", 1).encode(), Error(f"motif 'm1' {NOT_PROBABILITIES}")),
    "negative probability": (MEME.replace("0.250000", "-0.25", 1).encode(), Error(f"motif 'm1' {NOT_PROBABILITIES}")),
    "five letters": (MEME.replace("0.250000\n", "0.250000 0.1\n", 1).encode(), Error("not a readable MEME motif file")),
    "Windows line endings": (MEME.replace("\n", "\r\n").encode(), Kept(["m1", "m2"])),
    "byte order mark": (BOM + MEME.encode(), Kept(["m1", "m2"])),
}


@pytest.mark.parametrize("entry", ["read_meme", "motifs --motif-db"])
@pytest.mark.parametrize("kind", MEME_KINDS)
def test_motif_file(ctx, kind, entry):
    content, expected = MEME_KINDS[kind]
    path = ctx.write("db.meme", content)
    if entry == "read_meme":
        outcome = api(lambda: read_meme(path), lambda r: Outcome(None, [n.split()[0] for n in r[0]]))
    else:  # the database is read before anything else; a good one gives a run with no motif (flat scores)
        fa, scores = ctx.write("in.fa", FASTA), ctx.inputs / "scores.npz"
        np.savez(scores, ids=np.array(list(SEQS)), lengths=np.array([20, 20]), scores=np.zeros(40))
        outcome = cli(ctx, "motifs", "--positives", fa, "--scores", scores, "--motif-db", path, "--out", ctx.out / "m")
        expected = Kept([]) if isinstance(expected, Kept) else expected  # records here are sequences, not motifs
    check(outcome, expected)


JASPAR_KINDS = {
    "unknown JASPAR release": (("JASPAR2099", "CORE", "vertebrates"), "unknown JASPAR release 'JASPAR2099'; available: "),
    "release in lower case": (("jaspar2024", "CORE", "vertebrates"), "unknown JASPAR release 'jaspar2024'"),
    "unknown collection": (("JASPAR2024", "PLANTS", "vertebrates"), "has no matrix in collection 'PLANTS'"),
    "unknown taxonomic group": (("JASPAR2024", "CORE", "martians"), "for taxonomic group 'martians'; collections: CORE"),
}


@pytest.mark.parametrize("entry", ["load_jaspar", "motifs --jaspar-release"])
@pytest.mark.parametrize("kind", JASPAR_KINDS)
def test_jaspar_choice(ctx, kind, entry):
    (release, collection, group), message = JASPAR_KINDS[kind]
    if entry == "load_jaspar":
        outcome = api(lambda: load_jaspar(release, collection, group))
    else:
        outcome = cli(
            ctx, "motifs", "--positives", ctx.write("in.fa", FASTA), "--model", ctx.model, "--jaspar-release", release,
            "--jaspar-collection", collection, "--jaspar-tax-group", group, "--out", ctx.out / "m",
        )  # fmt: skip
    check(outcome, Error(message))


# ----------------------------------------------------------------------------- variants: VCF and variant lists

GENOME = "ACGTTGCAAGGCTTACGATCGGATCCATGCAAGGTTCCAA" * 3  # chr1, 120 bp; G at POS 50 and 61
VCF_HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
VCF_RECORDS = "chr1\t50\tv1\tG\tT,C\t.\t.\t.\nchr1\t61\t.\tG\tA\t.\t.\t.\n"  # 3 ALTs: v1, v1, chr1:61


def vcf(*fields: str) -> bytes:
    """A VCF with one record of these leading fields (QUAL, FILTER, INFO '.' added)."""
    return (VCF_HEADER + "\t".join([*fields, ".", ".", "."]) + "\n").encode()


VCF_KINDS = {
    "empty file": (b"", Error("no '#CHROM POS ID REF ALT ...' header line")),
    "binary": (b"\x89PNG\r\n\x1a\n" + bytes(range(128, 256)), Error("line 1: not UTF-8 text; is this a VCF file?")),
    "FASTA given as VCF": (b">chr1\nACGT\n", Error("line 1: a record before the #CHROM header line")),
    "truncated gzip": (gzip.compress((VCF_HEADER + VCF_RECORDS * 50).encode())[:80], Error("the gzip stream is truncated")),
    "header only": (VCF_HEADER.encode(), Error("the VCF has no variant records")),
    "too few fields": ((VCF_HEADER + "chr1\t50\tv1\tG\tT\n").encode(), Error("line 3: 5 tab-separated field(s)")),
    "position not a number": (vcf("chr1", "fifty", "v1", "G", "T"), Error("line 3: POS 'fifty' is not a positive integer")),
    "symbolic allele": (vcf("chr1", "50", "v1", "G", "<DEL>"), Error("line 3: ALT '<DEL>' is a symbolic allele")),
    "IUPAC allele": (vcf("chr1", "50", "v1", "G", "R"), Error("line 3: ALT 'R' has letters other than A, C, G, T")),
    "REF differs from the genome": (vcf("chr1", "50", "v1", "A", "T"), Error("REF 'A' at chr1:50 does not match the reference")),
    "unknown contig": (vcf("chr9", "50", "v1", "G", "T"), Error("contig 'chr9' is not in")),
    "lowercase alleles": ((VCF_HEADER + VCF_RECORDS.replace("\tG\tT,C", "\tg\tt,c")).encode(), Kept(["v1", "v1", "chr1:61"])),
    "Windows line endings": ((VCF_HEADER + VCF_RECORDS).replace("\n", "\r\n").encode(), Kept(["v1", "v1", "chr1:61"])),
    "byte order mark": (BOM + (VCF_HEADER + VCF_RECORDS).encode(), Kept(["v1", "v1", "chr1:61"])),
}


def tsv_rows(path: Path) -> Callable[[str], Outcome]:
    """Reader of the ``id`` column of a TSV output, one per row."""
    return lambda _: Outcome(None, pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)["id"].tolist())


@pytest.mark.parametrize("entry", ["vcf_chunks", "mutate --vcf"])
@pytest.mark.parametrize("kind", VCF_KINDS)
def test_vcf(ctx, kind, entry):
    content, expected = VCF_KINDS[kind]
    calls, genome = ctx.write("calls.vcf", content), ctx.write("ref.fa", f">chr1\n{GENOME}\n")
    if entry == "vcf_chunks":
        outcome = api(lambda: [i for chunk in vcf_chunks(calls, genome, 15) for i in chunk.ids], lambda ids: Outcome(None, ids))
    else:
        out = ctx.out / "effects.tsv"
        outcome = cli(ctx, "mutate", "--model", ctx.model, "--vcf", calls, "--genome", genome, "--out", out, read=tsv_rows(out))
    check(outcome, expected)


VARIANT_LIST = "id\tstart\tend\talt\na\t2\t3\tT\nb\t5\t5\tGG\na\t0\t4\t-\n"  # a substitution, an insertion, a deletion
VARIANT_KINDS = {
    "empty file": (b"", Error("the variant list is empty")),
    "binary": (bytes(range(128, 256)), Error("not UTF-8 text (byte 0); expected a tab-separated variant list")),
    "FASTA given as a list": (FASTA, Error("line 1: 1 tab-separated column(s); expected 4")),
    "three columns": (b"a\t2\t3\n", Error("line 1: 3 tab-separated column(s); expected 4")),
    "unknown sequence id": (b"zz\t2\t3\tT\n", Error("line 1: sequence id 'zz' is not in the input sequences")),
    "end past the sequence": (b"a\t19\t21\tT\n", Error("line 1: interval [19, 21) is not inside sequence 'a' of length 20")),
    "negative position": (b"a\t-1\t2\tT\n", Error("line 1: start '-1' and end '2' must be non-negative integers")),
    "IUPAC alt": (b"a\t2\t3\tN\n", Error("line 1: alt 'N' has letters other than A, C, G, T")),
    "alt equal to the sequence (1-based?)": (b"a\t0\t1\tA\n", Error("line 1: alt 'A' equals the sequence at [0, 1)")),
    "Windows line endings": (VARIANT_LIST.replace("\n", "\r\n").encode(), Kept(["a", "b", "a"])),
    "byte order mark": (BOM + VARIANT_LIST.encode(), Kept(["a", "b", "a"])),
    "lowercase alt": (VARIANT_LIST.replace("GG", "gg").encode(), Kept(["a", "b", "a"])),
}


def variants_via_app(ctx: Ctx, path: Path) -> Outcome:
    """The Variants page: paste the sequences on the Data page, then upload the list and score it."""
    at = app_session(ctx.model)
    at.radio(key="pos_source").set_value("Paste").run()
    at.text_area(key="positives_text").input(FASTA.decode())
    at.button[0].click().run()
    at.switch_page("../pages/variants.py").run()
    at.file_uploader(key="variants_file").upload(path.name, path.read_bytes()).run()
    at.button(key="variants_list_run").click().run()
    error = app_errors(at)
    if error:
        assert path.name in error and str(path.parent) not in error  # names the upload, not a server path
        return Outcome(error)
    return Outcome(None, at.session_state["variants_table"]["id"].tolist())


@pytest.mark.parametrize("entry", ["read_variant_list", "mutate --variants", "app variant upload"])
@pytest.mark.parametrize("kind", VARIANT_KINDS)
def test_variant_list(ctx, kind, entry):
    content, expected = VARIANT_KINDS[kind]
    path = ctx.write("variants.tsv", content)
    if entry == "read_variant_list":
        outcome = api(
            lambda: read_variant_list(path, list(SEQS), list(SEQS.values())),
            lambda edits: Outcome(None, [list(SEQS)[e.seq] for e in edits]),
        )
    elif entry == "mutate --variants":
        fa, out = ctx.write("in.fa", FASTA), ctx.out / "effects.tsv"
        outcome = cli(ctx, "mutate", "--model", ctx.model, "--input", fa, "--variants", path, "--out", out, read=tsv_rows(out))
    else:
        outcome = variants_via_app(ctx, path)
    check(outcome, expected)


# ----------------------------------------------------------------------------- labelled tables (fine-tuning)

TABLE = "sequence\tlabel\nACGTACGTACGT\tpos\nTTGACCATGACA\tneg\n"
TABLE_KINDS = {
    "empty file": (b"", Error("empty file; expected a TSV/CSV table with 'sequence' and 'label' columns")),
    "binary": (bytes(range(128, 256)), Error("not UTF-8 text; expected a TSV/CSV table")),
    "JSON": (b'{"sequence": "ACGTACGT", "label": 1}', Error("missing column(s) sequence, label")),
    "FASTA instead of a table": (FASTA, Error("missing column(s) sequence, label")),
    "header only": (b"sequence\tlabel\n", Error("the table has a header but no rows")),
    "empty label": (TABLE.replace("\tneg", "\t").encode(), Error("data row 2 has an empty label")),
    "extra field": (TABLE.replace("\tpos", "\tpos\textra").encode(), Error("data row 1 has more fields than the header line")),
    "non-nucleotide letter": (TABLE.replace("TTGACC", "TTGXCC").encode(), Error("'data row 2': character 'X' at position 3")),
    "lowercase, U, CRLF and BOM": (
        BOM + TABLE.replace("ACGTAC", "acguac").replace("\n", "\r\n").encode(),
        Kept(["row1", "row2"]),
    ),
}
MODEL_TABLE_KINDS = {  # these need the model (k, window) or the whole training set: fine-tuning only
    "single class": (TABLE.replace("neg", "pos").encode(), Error("every row has the label 'pos'; a classifier needs")),
    "shorter than k": (TABLE.replace("TTGACCATGACA", "TTG").encode(), Error("data row 2 (row2) has length 3, shorter than k=6")),
    "far longer than the window": (TABLE.replace("TTGACCATGACA", LONG.decode()).encode(), Error("more than the model window")),
}


def finetune_cli(ctx: Ctx, train: Path, *extra) -> Outcome:
    """Fine-tune the catalog model for a step; the records out are the training rows counted in metrics.json."""
    out = ctx.out / "ft"

    def read(_: str) -> Outcome:
        return Outcome(None, count=json.loads((out / "metrics.json").read_text())["n_train"])

    return cli(ctx, "finetune", "--model", ctx.model, "--train", train, "--epochs", 0.01, *extra, "--out", out, read=read)


@pytest.mark.parametrize(
    "kind, entry",
    [(k, e) for k in TABLE_KINDS for e in ("read_labeled", "finetune")] + [(k, "finetune") for k in MODEL_TABLE_KINDS],
)
def test_labelled_table(ctx, kind, entry):
    content, expected = {**TABLE_KINDS, **MODEL_TABLE_KINDS}[kind]
    path = ctx.write("train.tsv", content)
    if entry == "read_labeled":
        outcome = api(lambda: read_labeled(path), lambda d: Outcome(None, d.ids))
        if outcome.error is None:
            assert read_labeled(path).seqs == ["ACGTACGTACGT", "TTGACCATGACA"]
    else:
        outcome = finetune_cli(ctx, path)
    check(outcome, expected)


def test_dev_set_with_an_unknown_label(ctx):
    train, dev = ctx.write("train.tsv", TABLE), ctx.write("dev.tsv", TABLE.replace("neg", "negative"))
    expected = Error("data row 2 has label 'negative', which is not a class of the training set (neg, pos)")
    check(finetune_cli(ctx, train, "--dev", dev), expected)


# ----------------------------------------------------------------------------- output locations and arguments


def writing_to(ctx: Ctx, command: str, out: Path) -> list:
    """The command line of ``command`` with its main output at ``out``."""
    fa = ctx.write("in.fa", FASTA)
    return {
        "predict": ["predict", "--model", ctx.model, "--input", fa, "--out", out],
        "attention --tsv": ["attention", "--model", ctx.model, "--input", fa, "--out", ctx.out / "s.npz", "--tsv", out],
        "scan": ["scan", "--model", ctx.model, "--input", fa, "--window", 12, "--out", out],
        "mutate": ["mutate", "--model", ctx.model, "--input", fa, "--out", out],
        "finetune": ["finetune", "--model", ctx.model, "--train", ctx.write("t.tsv", TABLE), "--epochs", 0.01, "--out", out],
        "pretrain": ["pretrain", "--k", 6, "--input", fa, "--out", out],
        "synth": ["synth", "--n-pos", 4, "--n-neg", 4, "--out", out],
        "motifs": ["motifs", "--model", ctx.model, "--positives", fa, "--no-match", "--out", out],
    }[command]


OUTPUT_KINDS = {  # kind: (commands, message)
    "output is an existing folder": (["predict", "attention --tsv", "scan", "mutate"], "is a folder; give a file name"),
    "output folder exists": (["finetune", "pretrain", "synth"], "exists; choose another or pass --overwrite"),
    "output folder holds other files": (["motifs"], "already holds other files (e.g. data.txt)"),
    "output inside a file (unwritable)": (["predict", "synth", "motifs", "finetune"], "cannot write to"),
}


@pytest.mark.parametrize("kind, command", [(kind, c) for kind, (commands, _) in OUTPUT_KINDS.items() for c in commands])
def test_output_location(ctx, kind, command):
    taken = ctx.out / "taken"
    if kind == "output inside a file (unwritable)":
        taken.write_text("a file\n")
        out, kept = taken / "result", taken
    else:
        taken.mkdir()
        out, kept = taken, taken / "data.txt"
        kept.write_text("a file\n")
    check(cli(ctx, *writing_to(ctx, command, out)), Error(OUTPUT_KINDS[kind][1]))
    assert kept.read_text() == "a file\n"


SYNTH_ARGUMENTS = {
    "unknown motif": (["--motifs", "MA0139.2", "MA9999.1"], "motif 'MA9999.1' is not in JASPAR2024"),
    "motif without a version": (["--motifs", "CTCF"], "motif 'CTCF': give a versioned JASPAR matrix id"),
    "split that is not numbers": (["--split", "80,ten,10"], "--split takes three non-negative fractions"),
    "split of two parts": (["--split", "0.5,0.5"], "--split takes three non-negative fractions"),
    "sequences shorter than the motif": (["--length", "12"], "length 12 is too short for"),
    "no positives": (["--n-pos", "0"], "argument --n-pos: 0 is out of range; expected an integer of at least 1"),
}


@pytest.mark.parametrize("kind", SYNTH_ARGUMENTS)
def test_synth_arguments(ctx, kind):
    arguments, message = SYNTH_ARGUMENTS[kind]
    check(cli(ctx, "synth", "--n-pos", 4, "--n-neg", 4, *arguments, "--out", ctx.out / "data"), Error(message))
