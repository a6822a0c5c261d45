"""All attention aggregations from one forward pass: equal to one pass per mode; the app switches without recomputing."""

import numpy as np
import pytest

from support import APP_SCRIPT
from support import random_seqs
from streamlit.testing.v1 import AppTest

from dnabert.loading.checkpoint import DEMO_MODEL_DIR, load_model
from dnabert.analysis.inference import ATTENTION_MODES, predict, predict_modes


def test_predict_modes_equals_one_predict_per_mode(tiny_model_dir):
    lm = load_model(tiny_model_dir)
    seqs = random_seqs(5, 10, 700, seed=11)  # 700 bp: more than one 510-k-mer window
    together = predict_modes(lm, seqs, batch_size=3)
    assert set(together) == set(ATTENTION_MODES)
    for mode in ATTENTION_MODES:
        alone = predict(lm, seqs, batch_size=3, attention=mode)
        np.testing.assert_allclose(together[mode].probs, alone.probs, atol=1e-6)
        for a, b in zip(together[mode].scores, alone.scores):
            np.testing.assert_allclose(a, b, atol=1e-6)
    assert not np.allclose(together["last"].scores[0], together["rollout"].scores[0])  # the modes differ
    plain = predict_modes(lm, seqs, ())
    assert list(plain) == [None] and plain[None].scores is None
    np.testing.assert_allclose(plain[None].probs, together["last"].probs, atol=1e-6)


@pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built")
def test_switching_aggregation_reads_the_cache():
    at = AppTest.from_file(APP_SCRIPT, default_timeout=120).run()
    at.radio(key="pos_source").set_value("Paste").run()
    at.text_area(key="positives_text").input(">a\n" + random_seqs(1, 80, 80, seed=12)[0] + "\n")
    at.button[0].click().run()
    at.switch_page("../pages/attention.py").run()
    cached = dict(at.session_state["_results"])
    assert len(cached) == 1 and set(next(iter(cached.values()))) == set(ATTENTION_MODES)
    for mode in ("mean", "rollout", "last"):
        at.radio(key="attention_mode").set_value(mode).run()  # reruns only the sections that show the mode (fragments)
        assert not at.exception and not at.error
        at.run()  # AppTest's tree then holds only those sections: a whole run brings the radio back
        assert not at.exception and not at.error
        results = at.session_state["_results"]
        assert results.keys() == cached.keys() and all(results[k] is cached[k] for k in cached)  # nothing recomputed
