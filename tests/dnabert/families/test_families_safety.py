"""Broken or hostile DNABERT-2 / Nucleotide Transformer folders (issue 26): checked before anything is built,
refused in one line naming the file (``error:`` and exit 2 on the command line), never a traceback."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from support import APP_SCRIPT
import torch
from family_fixtures import make_dnabert2, make_nt_v1, make_nt_v2, nt_vocab
from safetensors.torch import load_file, save_file

import dnabert.limits
from dnabert.loading.checkpoint import CheckpointError, load_model
from dnabert.analysis.inference import predict
from explorer.cli import main


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("family_safety")
    return {
        "DNABERT-2": make_dnabert2(d / "d2")[0],
        "NT v1": make_nt_v1(d / "nt1"),
        "NT v2": make_nt_v2(d / "nt2")[0],
    }


def copy(good: dict[str, Path], family: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(good[family], tmp_path / "model"))


def edit_config(folder: Path, edit) -> None:
    path = folder / "config.json"
    path.write_text(json.dumps(edit(json.loads(path.read_text()))))


def refused(folder: Path, capsys, **kwargs) -> str:
    """The load error: one line; the CLI prints it as its last line after ``error:``, exits 2, writes nothing."""
    with pytest.raises(CheckpointError) as e:
        load_model(folder, **kwargs)
    message = str(e.value)
    assert "\n" not in message and "Traceback" not in message
    fasta, out = folder.parent / "in.fa", folder.parent / "p.tsv"
    fasta.write_text(">a\nACGTACGTACGTAGCTACGATCGATCGATCGTAGC\n")
    assert main(["predict", "--model", str(folder), "--input", str(fasta), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == f"error: {message}"
    assert not out.exists()
    return message


# ------------------------------------------------------------ resources: config.json checked before anything is built

DELETE = object()  # the key is removed
RESOURCE_CASES = {
    # family, edit of config.json, expected text after "<folder>/config.json: "
    "huge hidden size": ("NT v2", {"hidden_size": 131072}, "hidden_size is 131072; expected an integer from 1 to 8192"),
    "vocabulary of 2e9": ("DNABERT-2", {"vocab_size": 2e9}, "vocab_size is 2000000000.0"),
    "intermediate of 1e9": ("NT v2", {"intermediate_size": 10**9}, "intermediate_size is 1000000000"),
    "positions of 1e9": ("NT v1", {"max_position_embeddings": 10**9}, "max_position_embeddings is 1000000000"),
    "200000 layers": ("DNABERT-2", {"num_hidden_layers": 200000}, "num_hidden_layers is 200000"),
    "ALiBi window of 10 million": ("DNABERT-2", {"alibi_starting_size": 10**7}, "alibi_starting_size is 10000000"),
    "negative ALiBi size": ("DNABERT-2", {"alibi_starting_size": -5}, "alibi_starting_size is -5"),
    "no heads": ("NT v2", {"num_attention_heads": 0}, "num_attention_heads is 0"),
    "heads do not divide": ("DNABERT-2", {"num_attention_heads": 5}, "hidden_size 32 is not a multiple of num_attention_heads 5"),
    "size as text": ("NT v1", {"hidden_size": "32"}, "hidden_size is '32'"),
    "layers as text": ("DNABERT-2", {"num_hidden_layers": "2"}, "num_hidden_layers is '2'"),
    "pad id as text": ("NT v2", {"pad_token_id": "1"}, "pad_token_id is '1'"),
    "pad id out of range": ("DNABERT-2", {"pad_token_id": 10**6}, "pad_token_id is 1000000"),
    "pad id after the positions": ("NT v1", {"pad_token_id": 48}, "max_position_embeddings is 50; expected an integer from 51"),
    "no pad id": ("NT v2", {"pad_token_id": DELETE}, "no pad_token_id; a Nucleotide Transformer config names it"),
    "null pad id": ("NT v1", {"pad_token_id": None}, "no pad_token_id"),
    "no vocabulary size": ("NT v1", {"vocab_size": DELETE}, "no vocab_size"),
    "dropout as text": ("NT v2", {"hidden_dropout_prob": "0.1"}, "hidden_dropout_prob is '0.1'"),
    "epsilon of zero": ("DNABERT-2", {"layer_norm_eps": 0}, "layer_norm_eps is 0"),
    "position kind": ("NT v1", {"position_embedding_type": 3}, "position_embedding_type is 3"),
    "id2label keys": ("NT v2", {"id2label": {"a": "x", "b": "y"}}, "id2label keys must be class numbers"),
    "20000 classes": ("DNABERT-2", {"id2label": {str(i): f"c{i}" for i in range(20000)}}, "id2label names 20000 classes"),
}


@pytest.mark.parametrize("case", list(RESOURCE_CASES))
def test_configs_are_checked_before_anything_is_allocated(good, tmp_path, capsys, case):
    family, change, expected = RESOURCE_CASES[case]
    folder = copy(good, family, tmp_path)
    edit_config(folder, lambda c: {k: v for k, v in (c | change).items() if v is not DELETE})
    message = refused(folder, capsys)
    assert message.startswith(f"{folder / 'config.json'}: ") and expected in message, message


def test_a_model_estimated_over_the_memory_limit_is_refused(good, tmp_path, capsys, monkeypatch):
    # NT v2 fixture: 4107 x 32 embeddings + 2050 positions + 2 layers ... about 1.3 MB of float32 parameters
    folder = copy(good, "NT v2", tmp_path)
    monkeypatch.setattr(dnabert.limits, "MAX_MODEL_GB", 1 / 1024)  # 1 MB
    message = refused(folder, capsys)
    assert "describes a model of about 0.0 GB (float32), over the limit of 0.000976562 GB" in message
    assert "DNABERT_MAX_MODEL_GB" in message
    monkeypatch.setattr(dnabert.limits, "MAX_MODEL_GB", 2 / 1024)
    assert load_model(folder).family == "NT v2"


def test_model_bytes_counts_the_parameters_of_each_family(good):
    from dnabert.loading.checkpoint_checks import model_bytes

    for family, folder in good.items():
        raw = json.loads((folder / "config.json").read_text())
        n_params = sum(p.numel() for p in load_model(folder).model.parameters())
        # an upper estimate, within a factor of two of the real count for these tiny models
        assert n_params * 4 <= model_bytes(raw) <= 2 * n_params * 4 + 4 * 2050 * 32, family


def test_the_window_is_capped(good, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(dnabert.limits, "MAX_WINDOW", 100)
    folder = copy(good, "NT v2", tmp_path)  # 2050 positions: a window of 2047 tokens
    message = refused(folder, capsys)
    assert message == (
        f"{folder / 'config.json'}: gives a NT v2 window of 2047 tokens, over the limit of 100 tokens (DNABERT_MAX_WINDOW); "
        "raise the limit to load it"
    )
    # DNABERT-2's ALiBi allows windows over its training length, up to the cap
    assert load_model(good["DNABERT-2"], window=100).window == 100
    with pytest.raises(CheckpointError, match="window 101 is not possible for DNABERT-2: choose 1..100 tokens"):
        load_model(good["DNABERT-2"], window=101)


# ------------------------------------------------------------ broken files: one line naming the file


def _index_without_weight_map(folder: Path) -> str:
    (folder / "model.safetensors").rename(folder / "model-00001-of-00001.safetensors")
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}}))
    return "model.safetensors.index.json: expected an object with a weight_map"


def _index_as_list(folder: Path) -> str:
    (folder / "model.safetensors").rename(folder / "model-00001-of-00001.safetensors")
    (folder / "model.safetensors.index.json").write_text(json.dumps(["model-00001-of-00001.safetensors"]))
    return "model.safetensors.index.json: expected an object with a weight_map"


def _pickle_in_bin(folder: Path) -> str:
    (folder / "model.safetensors").unlink()
    torch.save({"x": Path("/etc")}, folder / "pytorch_model.bin")  # a pickled object, not a tensor
    return "pytorch_model.bin: not a weights-only PyTorch file"


def _tokenizer_not_json(folder: Path) -> str:
    (folder / "tokenizer.json").write_text("{not json")
    return "tokenizer.json: not a readable tokenizer file"


def _tokenizer_without_cls(folder: Path) -> str:
    path = folder / "tokenizer.json"
    path.write_text(path.read_text().replace("[CLS]", "[CLX]"))
    return "tokenizer.json: no [CLS] token; not a DNABERT-2 tokenizer.json"


def _vocab_not_utf8(folder: Path) -> str:
    (folder / "vocab.txt").write_bytes(b"\xff\xfe" + (folder / "vocab.txt").read_bytes())
    return "vocab.txt: not UTF-8 text (byte 0)"


def _truncated_safetensors(folder: Path) -> str:
    path = folder / "model.safetensors"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return "model.safetensors: not a readable safetensors file"


def _absurd_header_length(folder: Path) -> str:
    path = folder / "model.safetensors"
    data = path.read_bytes()
    path.write_bytes(struct.pack("<Q", 2**62) + data[8:])
    return "model.safetensors: not a complete safetensors file"


def _huge_shape_in_header(folder: Path) -> str:
    path = folder / "model.safetensors"
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    name = next(k for k in header if k != "__metadata__")
    header[name]["shape"] = [10**9, 10**9]
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data[8 + n :])
    return "model.safetensors: not a readable safetensors file"


def _config_nested_deep(folder: Path) -> str:
    (folder / "config.json").write_text("[" * 100000 + "]" * 100000)
    return "config.json: not valid JSON (maximum recursion depth exceeded"


BROKEN = {
    "config.json nested 100000 deep": ("NT v1", _config_nested_deep),
    "index without weight_map": ("NT v2", _index_without_weight_map),
    "index as a list": ("DNABERT-2", _index_as_list),
    "pickle in pytorch_model.bin": ("DNABERT-2", _pickle_in_bin),
    "tokenizer.json not JSON": ("DNABERT-2", _tokenizer_not_json),
    "tokenizer.json without [CLS]": ("DNABERT-2", _tokenizer_without_cls),
    "vocab.txt not UTF-8": ("NT v1", _vocab_not_utf8),
    "truncated safetensors": ("NT v2", _truncated_safetensors),
    "absurd header length": ("NT v1", _absurd_header_length),
    "huge shape in the header": ("DNABERT-2", _huge_shape_in_header),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_file_is_one_line_naming_it(good, tmp_path, capsys, case):
    family, damage = BROKEN[case]
    folder = copy(good, family, tmp_path)
    expected = damage(folder)
    message = refused(folder, capsys)
    assert message.startswith(str(folder / expected.split(":")[0])) and expected in message, message


# ------------------------------------------------------------ NT vocabulary checked against the model


def test_an_nt_vocabulary_without_its_6mers_is_refused(good, tmp_path, capsys):
    folder = copy(good, "NT v2", tmp_path)
    # specials and bases, the embedding unchanged: before, every base loaded as a token alone
    singles = [t for t in nt_vocab() if not (len(t) == 6 and set(t) <= set("ACGT"))]
    (folder / "vocab.txt").write_text("\n".join(singles) + "\n")
    message = refused(folder, capsys)
    assert f"{folder / 'vocab.txt'}: no AAAAAA, AAAAAC, AAAAAG, AAAAAT, AAAACA and 4091 more token" in message


def test_an_nt_vocabulary_must_have_one_line_per_embedding_row(good, tmp_path, capsys):
    folder = copy(good, "NT v1", tmp_path)
    vocab = nt_vocab()
    (folder / "vocab.txt").write_text("\n".join(vocab + ["<extra>"]) + "\n")
    message = refused(folder, capsys)
    assert message == (
        f"{folder / 'vocab.txt'}: the tokenizer has {len(vocab) + 1} tokens but config.json says vocab_size "
        f"{len(vocab)}; the tokenizer and the weights belong to different models"
    )
    (folder / "vocab.txt").write_text("\n".join(vocab[:-1] + ["ACGTAC"]) + "\n")  # a 6-mer twice, N gone
    assert "token 'ACGTAC' is listed twice" in refused(folder, capsys)
    edit_config(folder, lambda c: {**c, "vocab_size": len(vocab) + 2})
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    assert f"{len(vocab)} tokens but config.json says vocab_size {len(vocab) + 2} (the embedding rows)" in refused(folder, capsys)


# ------------------------------------------------------------ shards stay inside the model folder


def shard(folder: Path, name: str) -> None:
    """Move the weights to ``name`` (relative to the folder, or absolute) and write an index naming it."""
    target = Path(name) if Path(name).is_absolute() else folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    weights = load_file(folder / "model.safetensors")
    (folder / "model.safetensors").unlink()
    save_file(weights, target)
    index = {"metadata": {}, "weight_map": {k: name for k in weights}}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))


def test_shards_inside_the_folder_load_and_shards_outside_are_refused(good, tmp_path, capsys):
    inside = copy(good, "NT v2", tmp_path / "a")
    shard(inside, "weights/model-00001-of-00001.safetensors")
    seqs = ["ACGTAGCTAGCTAGCATCGATCGATCGTACGTAGCTAG"]
    assert predict(load_model(inside), seqs).logits.tolist() == predict(load_model(good["NT v2"]), seqs).logits.tolist()
    for name in ("../other/model.safetensors", str(tmp_path / "elsewhere" / "model.safetensors")):
        folder = copy(good, "NT v2", tmp_path / f"b{len(name)}")
        shard(folder, name)
        message = refused(folder, capsys)
        assert message == (
            f"{folder / 'model.safetensors.index.json'}: shard {name!r} is outside the model folder; "
            "shards must be files inside it"
        )
    folder = copy(good, "DNABERT-2", tmp_path / "c")  # a shard name inside the folder that links out
    shard(folder, str(tmp_path / "c" / "real.safetensors"))
    (folder / "w.safetensors").symlink_to(tmp_path / "c" / "real.safetensors")
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"x": "w.safetensors"}}))
    assert "shard 'w.safetensors' is outside the model folder" in refused(folder, capsys)


# ------------------------------------------------------------ fuzz: every file and key of every family's folder

FUZZ_VALUES = {"deleted": DELETE, "text": "x", "negative": -1, "huge": 10**12, "null": None, "fraction": 2.5}


def _json_mutations(path: Path):
    """(what, new text) for each top-level key of a JSON file (and the keys of its "model" object) x each fuzz value."""
    raw = json.loads(path.read_text())
    if not isinstance(raw, dict):
        return
    keys = [(k,) for k in raw] + [("model", k) for k in raw.get("model", {}) if isinstance(raw.get("model"), dict)]
    for key in keys:
        for label, value in FUZZ_VALUES.items():
            new = json.loads(path.read_text())
            parent = new if len(key) == 1 else new["model"]
            if value is DELETE:
                del parent[key[-1]]
            else:
                parent[key[-1]] = value
            yield f"{path.name}:{'.'.join(key)}={label}", json.dumps(new).encode()


def _byte_mutations(path: Path):
    """(what, new bytes) for a file: emptied, cut in half, garbage, a non-UTF-8 start; safetensors: its header too."""
    data = path.read_bytes()
    yield f"{path.name}:empty", b""
    yield f"{path.name}:half", data[: len(data) // 2]
    yield f"{path.name}:garbage", bytes(range(256)) * 4
    yield f"{path.name}:not-utf8", b"\xff\xfe\x00" + data[3:]
    if path.suffix == ".safetensors":
        n = struct.unpack("<Q", data[:8])[0]
        yield f"{path.name}:header-length-2^62", struct.pack("<Q", 2**62) + data[8:]
        yield f"{path.name}:header-length-past-end", struct.pack("<Q", len(data)) + data[8:]
        header = json.loads(data[8 : 8 + n])
        for label, change in (
            ("shape", {"shape": [10**9, 10**9]}),
            ("offsets", {"data_offsets": [0, 10**12]}),
            ("dtype", {"dtype": "F64"}),
        ):
            h = {k: (v | change if k != "__metadata__" else v) for k, v in header.items()}
            text = json.dumps(h).encode()
            yield f"{path.name}:header-{label}", struct.pack("<Q", len(text)) + text + data[8 + n :]
    if path.name == "vocab.txt":
        lines = data.decode().splitlines()
        yield "vocab.txt:line-dropped", "\n".join(lines[:3] + lines[4:]).encode()
        yield "vocab.txt:line-doubled", "\n".join(lines + lines[5:6]).encode()


def fuzz_folder(folder: Path, work: Path) -> dict[str, str]:
    """Load every corruption of ``folder`` (a copy in ``work``): what -> "loaded", "refused: <message>" or "CRASH: <traceback>"."""
    import traceback

    outcomes = {}
    files = sorted(p for p in folder.iterdir() if p.is_file())
    for original in files:
        mutations = list(_byte_mutations(original)) + [("deleted", None)]
        if original.suffix == ".json":
            mutations += list(_json_mutations(original))
        for what, data in mutations:
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(folder, work)
            target = work / original.name
            if data is None:
                target.unlink()
            else:
                target.write_bytes(data)
            try:
                load_model(work)
                outcomes[f"{original.name}:{what}"] = "loaded"
            except CheckpointError as e:
                outcomes[f"{original.name}:{what}"] = f"refused: {e}"
            except Exception:  # noqa: BLE001 - what the test looks for
                outcomes[f"{original.name}:{what}"] = "CRASH: " + traceback.format_exc()
    return outcomes


def _fuzz_main(folders: list[str], work: str, out: str) -> None:
    """Child process: fuzz each folder, record outcomes and the peak memory (ru_maxrss, kB) before and after."""
    import resource

    load_model(folders[0])  # imports and one model: the baseline
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outcomes = {}
    for f in folders:
        outcomes |= {f"{Path(f).name}/{k}": v for k, v in fuzz_folder(Path(f), Path(work)).items()}
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    Path(out).write_text(json.dumps({"outcomes": outcomes, "rss_before_kb": before, "rss_after_kb": after}))


def test_fuzz_every_file_and_key_of_every_family_folder(good, tmp_path):
    """No traceback, no crash, one-line messages, and memory bounded (peak RSS grows < 300 MB over the run)."""
    import subprocess
    import sys

    from support import make_tiny_model

    folders = [str(make_tiny_model(tmp_path / "d1", k=4, max_position_embeddings=64))] + [str(p) for p in good.values()]
    out = tmp_path / "fuzz.json"
    root = Path(__file__).resolve().parents[3]
    code = (
        "import sys, resource; resource.setrlimit(resource.RLIMIT_AS, (8 * 2**30, 8 * 2**30)); "
        f"sys.path[:0] = [{str(root)!r}, {str(root / 'tests')!r}, {str(Path(__file__).resolve().parent)!r}]; "
        "from test_families_safety import _fuzz_main; _fuzz_main(sys.argv[1:-2], sys.argv[-2], sys.argv[-1])"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, *folders, str(tmp_path / "work"), str(out)],
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(out.read_text())
    outcomes = result["outcomes"]
    crashes = {k: v for k, v in outcomes.items() if v.startswith("CRASH")}
    assert not crashes, "\n".join(f"{k}: {v}" for k, v in list(crashes.items())[:5])
    refusals = [v for v in outcomes.values() if v.startswith("refused")]
    assert len(outcomes) > 500 and len(refusals) > 200
    assert all("\n" not in v for v in refusals)
    assert not [v for v in refusals if "allocate" in v or "memory" in v.lower()]
    assert result["rss_after_kb"] - result["rss_before_kb"] < 300 * 1024, result


# ------------------------------------------------------------ the app: the sidebar's message, and the app stays usable


def test_the_app_names_what_is_wrong_in_the_sidebar_and_stays_usable(good, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from dnabert.loading.checkpoint import DEMO_MODEL_DIR

    if not (DEMO_MODEL_DIR / "config.json").is_file():
        pytest.skip("demo model not built")
    root = tmp_path / "models"
    broken = {
        "pickle": ("DNABERT-2", _pickle_in_bin, "pickle/pytorch_model.bin: not a weights-only PyTorch file"),
        "tokenizer": ("DNABERT-2", _tokenizer_not_json, "tokenizer/tokenizer.json: not a readable tokenizer file"),
        "heads": ("NT v2", lambda f: edit_config(f, lambda c: {**c, "num_attention_heads": 0}), "num_attention_heads is 0"),
    }
    for name, (family, damage, _) in broken.items():
        damage(Path(shutil.copytree(good[family], root / name)))
    monkeypatch.setenv("DNABERT_MODEL_DIRS", str(root))
    at = AppTest.from_file(APP_SCRIPT, default_timeout=300).run()
    for name, (_, _, expected) in broken.items():
        at.selectbox(key="model_name").set_value(f"models/{name}").run()
        assert not at.exception, (name, at.exception)
        errors = [e.value for e in at.sidebar.error]
        assert len(errors) == 1 and expected in errors[0] and str(tmp_path) not in errors[0], (name, errors)
        at.selectbox(key="model_name").set_value("demo").run()  # the picker still works
        assert not at.exception and not at.error and any("DNABERT-1" in c.value for c in at.sidebar.caption), name
