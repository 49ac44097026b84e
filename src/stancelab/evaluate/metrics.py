"""Classification metrics shared by training, evaluation and the baselines (scikit-learn underneath)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support


def classification_metrics(y_true: list[str], y_pred: list[str], labels: list[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix.

    >>> m = classification_metrics(["support", "oppose"], ["support", "support"], ["support", "oppose"])
    >>> m["accuracy"], m["per_class"]["support"]["recall"]
    (0.5, 1.0)
    """
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    per_class = {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support)
    }
    return {
        "n": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)) if y_true else 0.0,
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "per_class": per_class,
        "labels": list(labels),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def bootstrap_macro_f1(
    y_true: list[str], y_pred: list[str], labels: list[str], *, n_boot: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """95% percentile bootstrap interval of macro-F1, resampling examples with replacement."""
    k = len(labels)
    index = {label: i for i, label in enumerate(labels)}
    cells = np.array([index[t] * k + index[p] for t, p in zip(y_true, y_pred)])  # confusion cell per example
    rng = np.random.default_rng(seed)
    samples = rng.integers(0, len(cells), size=(n_boot, len(cells)))
    scores = [_macro_f1_from_confusion(np.bincount(cells[row], minlength=k * k).reshape(k, k)) for row in samples]
    low, high = np.percentile(scores, [2.5, 97.5])
    return float(low), float(high)


def _macro_f1_from_confusion(matrix: np.ndarray) -> float:
    """Macro-F1 over all labels (rows = gold, columns = predicted), F1 = 0 where undefined, as scikit-learn."""
    tp = np.diag(matrix).astype(float)
    denominator = matrix.sum(axis=0) + matrix.sum(axis=1)  # = 2TP + FP + FN
    f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
    return float(f1.mean())


def expected_calibration_error(confidences: np.ndarray, correct: np.ndarray, n_bins: int = 10) -> float:
    """ECE: the |accuracy - confidence| gap per equal-width confidence bin, weighted by bin size."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ece = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        in_bin = (confidences > low) & (confidences <= high)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidences[in_bin].mean())
    return float(ece)


def format_metrics_table(metrics: dict[str, Any], title: str = "") -> str:
    """A plain-text table: headline numbers, per-class scores and the confusion matrix."""
    labels = metrics["labels"]
    lines = [title] if title else []
    ci = metrics.get("macro_f1_ci")
    ci_text = f"  (95% CI {ci[0]:.3f}-{ci[1]:.3f})" if ci else ""
    lines.append(f"n={metrics['n']}  accuracy={metrics['accuracy']:.3f}  macro-F1={metrics['macro_f1']:.3f}{ci_text}")
    if "ece" in metrics:
        lines[-1] += f"  ECE={metrics['ece']:.3f}"
    if metrics.get("official_metric", "macro_f1") != "macro_f1":
        lines[-1] += f"  {metrics['official_metric']}={metrics['official_score']:.3f}"
    width = max(len(label) for label in labels) + 2
    lines.append(f"{'label':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for label in labels:
        row = metrics["per_class"][label]
        lines.append(
            f"{label:<{width}}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}{row['support']:>10d}"
        )
    lines.append("confusion matrix (rows = gold, columns = predicted):")
    cell = max(width, 8)
    lines.append(" " * width + "".join(f"{label:>{cell}}" for label in labels))
    for label, row in zip(labels, metrics["confusion_matrix"]):
        lines.append(f"{label:<{width}}" + "".join(f"{value:>{cell}d}" for value in row))
    return "\n".join(lines)


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """Temperature T > 0 minimising the negative log-likelihood of softmax(logits / T) (Guo et al., 2017)."""
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    def nll(log_t: float) -> float:
        logp = log_softmax(logits / np.exp(log_t), axis=1)
        return float(-logp[np.arange(len(gold)), gold].mean())

    result = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(result.x))


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1) over runs (seeds, folds); the std of one run is 0.

    >>> mean_std([0.5, 0.7])
    (0.6, 0.14142135623730953)
    """
    mean = float(np.mean(values))
    return mean, float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def mean_std_table(values: dict[str, list[float]]) -> tuple[dict[str, float], dict[str, float]]:
    """``mean_std`` for each named list of scores: ``({name: mean}, {name: std})``."""
    pairs = {name: mean_std(v) for name, v in values.items()}
    return {k: mean for k, (mean, _) in pairs.items()}, {k: std for k, (_, std) in pairs.items()}
