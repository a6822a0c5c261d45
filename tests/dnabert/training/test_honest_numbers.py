"""Issue 24: the paired bootstrap against a direct resampling loop, a built tie, the decision threshold on a
perfectly separated small dev set, and the dev-size rule."""

import numpy as np
import pytest
from sklearn.metrics import matthews_corrcoef, roc_auc_score

from dnabert.training.bootstrap import paired_bootstrap, verdict
from dnabert.training.threshold import MIN_DEV_PER_CLASS, best_threshold, decision_threshold


def _scores(n=80, seed=0):
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(n // 2, int), np.ones(n - n // 2, int)]
    p_model = np.clip(0.5 + 0.25 * (2 * y - 1) + rng.normal(0, 0.2, n), 0, 1)
    p_base = np.clip(0.5 + 0.1 * (2 * y - 1) + rng.normal(0, 0.2, n), 0, 1)
    return y, p_model, p_base


def test_bootstrap_interval_matches_a_direct_resampling_loop():
    y, pm, pb = _scores()
    cm, cb = (pm >= 0.5).astype(int), (pb >= 0.45).astype(int)
    res = paired_bootstrap(y, pm, pb, cm, cb, n_boot=300, seed=7)
    rng = np.random.default_rng(7)
    draws = rng.integers(0, len(y), size=(300, len(y)))
    d_auc, d_mcc = [], []
    for idx in draws:  # the textbook loop, scikit-learn metrics
        if len(np.unique(y[idx])) < 2:
            continue
        d_auc.append(roc_auc_score(y[idx], pm[idx]) - roc_auc_score(y[idx], pb[idx]))
        d_mcc.append(matthews_corrcoef(y[idx], cm[idx]) - matthews_corrcoef(y[idx], cb[idx]))
    for name, diffs in (("auroc", d_auc), ("mcc", d_mcc)):
        lo, hi = np.percentile(diffs, [2.5, 97.5])
        assert res[name]["low"] == pytest.approx(lo, abs=1e-9) and res[name]["high"] == pytest.approx(hi, abs=1e-9)
        assert res[name]["n_boot"] == len(diffs)
    assert res["auroc"]["difference"] == pytest.approx(roc_auc_score(y, pm) - roc_auc_score(y, pb))
    assert res["mcc"]["difference"] == pytest.approx(matthews_corrcoef(y, cm) - matthews_corrcoef(y, cb))
    assert res["auroc"]["verdict"] == "better" and res["auroc"]["low"] > 0  # this model is much better by construction


def test_a_model_equal_to_its_baseline_is_no_better():
    y, pm, _ = _scores(seed=3)
    res = paired_bootstrap(y, pm, pm.copy(), pm >= 0.5, pm >= 0.5, n_boot=200, seed=0)
    for name in ("auroc", "mcc"):
        assert res[name]["low"] == res[name]["high"] == 0.0 and res[name]["verdict"] == "no better"
    # and the other two values
    assert paired_bootstrap(y, _scores(seed=3)[2], pm, pm >= 0.5, pm >= 0.5, n_boot=200)["auroc"]["verdict"] == "worse"
    assert (verdict(0.01, 0.2), verdict(-0.1, 0.1), verdict(-0.2, -0.01)) == ("better", "no better", "worse")


def test_threshold_on_a_perfectly_separated_small_dev_set_lies_between_the_classes():
    y = np.r_[np.zeros(25, int), np.ones(25, int)]
    rng = np.random.default_rng(1)
    neg, pos = rng.uniform(0.001, 0.004, 25), rng.uniform(0.02, 0.3, 25)  # separated, all below 0.5
    p = np.r_[neg, pos]
    t = best_threshold(y, p)
    assert neg.max() < t < pos.min()  # between the two classes' scores
    assert t == pytest.approx((neg.max() + pos.min()) / 2)  # halfway, on no score and not at either end
    assert matthews_corrcoef(y, p >= t) == 1.0
    # scores 0.5 already separates: the threshold stays 0.5 (it moves only when that raises dev MCC)
    assert best_threshold(y, np.r_[neg, pos + 0.6]) == 0.5
    # a model with no positive MCC at any cut keeps 0.5
    assert best_threshold(y, np.r_[pos, neg]) == 0.5


def test_too_few_dev_rows_of_a_class_keep_half_with_a_note():
    n = MIN_DEV_PER_CLASS
    y = np.r_[np.zeros(n - 1, int), np.ones(3 * n, int)]
    p = np.r_[np.full(n - 1, 0.1), np.full(3 * n, 0.3)]
    t, note = decision_threshold(y, p)
    assert t == 0.5 and f"{n - 1} and {3 * n}" in note and f"fewer than {n}" in note
    y = np.r_[np.zeros(n, int), np.ones(n, int)]
    t, note = decision_threshold(y, np.r_[np.full(n, 0.1), np.full(n, 0.3)])
    assert note is None and t == pytest.approx(0.2)


def test_the_page_command_reproduces_its_settings_and_the_defaults_agree():
    import shlex

    from dnabert.training.settings import PATIENCE, FinetuneSettings
    from explorer.cli import build_parser
    from explorer.cli.params import settings_argv, settings_from_args

    base = ["finetune", "--model", "demo", "--train", "t.tsv", "--out", "o"]
    parsed = build_parser().parse_args(base)
    assert settings_from_args(FinetuneSettings, parsed) == FinetuneSettings() and parsed.recipe == "default"
    assert FinetuneSettings().patience == PATIENCE == parsed.patience  # one early-stopping value everywhere
    chosen = FinetuneSettings(epochs=4.0, learning_rate=3e-4, batch_size=16, seeds=3, patience=0, test_fraction=0.2)
    command = shlex.split(shlex.join([*base, *settings_argv(chosen)]))
    assert settings_from_args(FinetuneSettings, build_parser().parse_args(command)) == chosen
    from dnabert.errors import InputError

    with pytest.raises(InputError, match=r"--seeds must be in \[1, 20\], got 0"):  # the declared range, in the parser
        build_parser().parse_args([*base, "--seeds", "0"])
