import numpy as np
import pytest

from stancelab.evaluate.metrics import (
    bootstrap_macro_f1,
    classification_metrics,
    expected_calibration_error,
    fit_temperature,
    format_metrics_table,
)

LABELS = ["support", "oppose", "conditional"]


def test_classification_metrics_by_hand():
    gold = ["support", "support", "oppose", "conditional"]
    pred = ["support", "oppose", "oppose", "support"]
    m = classification_metrics(gold, pred, LABELS)
    assert m["accuracy"] == 0.5
    assert m["per_class"]["oppose"] == {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1}
    assert m["per_class"]["conditional"]["f1"] == 0.0
    assert m["macro_f1"] == (0.5 + 2 / 3 + 0) / 3
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]
    assert "confusion matrix" in format_metrics_table(m)


def test_bootstrap_interval_brackets_the_estimate():
    rng = np.random.default_rng(0)
    gold = list(rng.choice(LABELS, 200))
    pred = [g if rng.random() < 0.7 else "support" for g in gold]
    low, high = bootstrap_macro_f1(gold, pred, LABELS, n_boot=200)
    point = classification_metrics(gold, pred, LABELS)["macro_f1"]
    assert low < point < high and high - low < 0.3


def test_ece_zero_when_confidence_equals_accuracy():
    conf = np.full(10, 0.8)
    correct = np.array([1] * 8 + [0] * 2, dtype=bool)
    assert abs(expected_calibration_error(conf, correct)) < 1e-9
    assert abs(expected_calibration_error(np.full(10, 1.0), correct) - 0.2) < 1e-9


def test_temperature_recovers_overconfident_scale():
    rng = np.random.default_rng(1)
    true_logits = rng.normal(size=(4000, 3))
    probs = np.exp(true_logits) / np.exp(true_logits).sum(1, keepdims=True)
    gold = np.array([rng.choice(3, p=p) for p in probs])
    assert abs(fit_temperature(true_logits * 3.0, gold) - 3.0) < 0.3


def test_fast_macro_f1_matches_scikit_learn():
    from sklearn.metrics import f1_score

    from stancelab.evaluate.metrics import _macro_f1_from_confusion

    rng = np.random.default_rng(3)
    gold, pred = list(rng.choice(LABELS[:2], 50)), list(rng.choice(LABELS, 50))  # one label never gold
    matrix = np.array(classification_metrics(gold, pred, LABELS)["confusion_matrix"])
    expected = f1_score(gold, pred, labels=LABELS, average="macro", zero_division=0)
    assert _macro_f1_from_confusion(matrix) == pytest.approx(expected)
