import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import BertTokenizer

from support import kmer_sentence
from dnabert.families.kmer import (
    CLS_ID,
    PAD_ID,
    SEP_ID,
    UNK_ID,
    build_vocab,
    decode,
    encode_batch,
    from_kmer_sentence,
    is_kmer_sentence,
    k_from_vocab_size,
    kmer_ids,
    read_vocab_k,
    save_tokenizer,
)
from dnabert.sequences import SequenceError


@pytest.mark.parametrize("k", [3, 4, 5, 6])
def test_vocab_matches_original_order(k):
    vocab = build_vocab(k)
    assert vocab[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert vocab[5:] == ["".join(p) for p in itertools.product("ATCG", repeat=k)]
    assert len(vocab) == 4**k + 5
    assert k_from_vocab_size(len(vocab)) == k


def test_vocab_spot_ids_k6():
    vocab = build_vocab(6)
    assert vocab[5] == "AAAAAA"
    assert vocab[6] == "AAAAAT"
    assert vocab[7] == "AAAAAC"
    assert vocab[8] == "AAAAAG"
    assert vocab[9] == "AAAATA"
    assert vocab[4100] == "GGGGGG"


def test_vocab_size_without_k():
    with pytest.raises(ValueError, match="matches no DNABERT k-mer size"):
        k_from_vocab_size(100)


@pytest.mark.parametrize("k", [3, 4, 5, 6])
def test_ids_equal_vocab_lookup(k):
    rng = np.random.default_rng(k)
    seq = "".join(rng.choice(list("ACGT"), 60))
    index = {t: i for i, t in enumerate(build_vocab(k))}
    expected = [index[seq[i : i + k]] for i in range(len(seq) - k + 1)]
    assert kmer_ids(seq, k).tolist() == expected


def test_non_acgt_kmers_are_unk_and_case_and_rna_normalised():
    ids = kmer_ids("ACGTNACGTA", 3)
    # k-mers 2, 3, 4 contain the N at position 4
    assert [i == UNK_ID for i in ids] == [False, False, True, True, True, False, False, False]
    assert kmer_ids("acgtacg", 3).tolist() == kmer_ids("ACGTACG", 3).tolist()
    assert kmer_ids("ACGUACG", 3).tolist() == kmer_ids("ACGTACG", 3).tolist()
    assert kmer_ids("ACRTACG", 3)[0] == UNK_ID


def test_too_short_sequence():
    with pytest.raises(SequenceError, match="shorter than k=6"):
        kmer_ids("ACGT", 6)


def test_encode_batch_layout():
    ids, mask = encode_batch(["ACGTAC", "ACGTACGT"], 3)
    assert ids.shape == (2, 8)  # 6 k-mers + CLS + SEP
    assert ids[0, 0] == CLS_ID and ids[0, 5] == SEP_ID and (ids[0, 6:] == PAD_ID).all()
    assert ids[1, 7] == SEP_ID
    assert mask.tolist() == [[1] * 6 + [0, 0], [1] * 8]


def test_encode_batch_rejects_over_window():
    with pytest.raises(SequenceError, match="more than the model window"):
        encode_batch(["A" * 600], 6)


def test_matches_transformers_bert_tokenizer(tmp_path):
    save_tokenizer(tmp_path, 6)
    tok = BertTokenizer(vocab=str(tmp_path / "vocab.txt"), do_lower_case=False)
    seq = "ACGTTGCAAGGCTTACGATCGNNACGT"
    ours, _ = encode_batch([seq], 6)
    theirs = tok(kmer_sentence(seq, 6))["input_ids"]
    assert ours[0].tolist() == theirs
    assert read_vocab_k(tmp_path) == 6


def test_read_vocab_rejects_reordered(tmp_path):
    vocab = build_vocab(3)
    vocab[5], vocab[6] = vocab[6], vocab[5]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab))
    with pytest.raises(ValueError, match="line 6"):
        read_vocab_k(tmp_path)


def test_kmer_sentence_round_trip_and_errors():
    seq = "ACGTTGCAAGG"
    sentence = kmer_sentence(seq, 4)
    assert sentence.split()[:2] == ["ACGT", "CGTT"]
    assert is_kmer_sentence(sentence)
    assert not is_kmer_sentence(seq)
    assert from_kmer_sentence(sentence) == seq
    with pytest.raises(SequenceError, match="does not overlap"):
        from_kmer_sentence("ACGT GGGG")


@settings(max_examples=50, deadline=None)
@given(seq=st.text(alphabet="ACGT", min_size=6, max_size=300), k=st.sampled_from([3, 4, 5, 6]))
def test_round_trip_sequence_tokens_sequence(seq, k):
    ids, _ = encode_batch([seq], k)
    assert decode(ids[0], k) == seq
    assert from_kmer_sentence(kmer_sentence(seq, k)) == seq
