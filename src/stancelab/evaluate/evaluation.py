"""Evaluate a trained model on any labelled JSONL file.

    python -m stancelab.evaluate --model runs/default --data data/processed/test.jsonl --output runs/default/eval

prints accuracy, macro-F1 (with a 95% bootstrap interval), per-class precision/recall/F1, the
confusion matrix and the expected calibration error, and writes ``metrics.json`` and
``predictions.jsonl`` to ``--output``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.cli import command, description, writing
from stancelab.data.io import InputError, atomic_write_json, atomic_write_jsonl
from stancelab.data.readers import official_score
from stancelab.data.schema import Example, read_examples
from stancelab.evaluate.metrics import (
    bootstrap_macro_f1,
    classification_metrics,
    expected_calibration_error,
    format_metrics_table,
)
from stancelab.models.spec import LoadedModel
from stancelab.predict.cli import add_precision_arguments, quiet_model_loading
from stancelab.predict.inference import predict_logits, softmax
from stancelab.predict.loading import load_model


def evaluate_examples(
    examples: list[Example], loaded: LoadedModel, *, batch_size: int = 64
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Metrics and per-example prediction rows for labelled examples."""
    _check_label_sets(examples, loaded.labels, loaded.path)
    logits = predict_logits(examples, loaded, batch_size)
    labels, keep = scored_labels(examples, loaded)
    logits = logits[:, keep]
    probs = softmax(logits, loaded.spec.temperature)
    predicted = [labels[i] for i in probs.argmax(axis=1)]
    gold = [ex.label for ex in examples]
    metrics = score(gold, predicted, probs, labels)
    correct = np.asarray(gold) == np.asarray(predicted)
    metrics["ece_uncalibrated"] = expected_calibration_error(softmax(logits).max(axis=1), correct)
    metrics["official_metric"] = loaded.spec.official_metric
    metrics["official_score"] = official_score(metrics, loaded.spec.official_metric)
    rows = [
        {**ex.to_dict(), "predicted": pred, "confidence": float(p.max()), "probs": dict(zip(labels, map(float, p)))}
        for ex, pred, p in zip(examples, predicted, probs)
    ]
    return metrics, rows


def scored_labels(examples: list[Example], loaded: LoadedModel) -> tuple[list[str], list[int]]:
    """The labels to score over, and their columns: a model with a "no position" label scored on data
    without such rows (a stance test set) is scored as a stance classifier, over the other labels."""
    none = loaded.spec.none_label
    if none in loaded.labels and not any(ex.label == none for ex in examples):
        keep = [i for i, label in enumerate(loaded.labels) if label != none]
    else:
        keep = list(range(len(loaded.labels)))
    return [loaded.labels[i] for i in keep], keep


def score(gold: list[str], predicted: list[str], probs: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """Classification metrics plus a bootstrap CI for macro-F1 and the calibration error."""
    metrics = classification_metrics(gold, predicted, labels)
    metrics["macro_f1_ci"] = list(bootstrap_macro_f1(gold, predicted, labels))
    correct = np.asarray(gold) == np.asarray(predicted)
    metrics["ece"] = expected_calibration_error(probs.max(axis=1), correct)
    return metrics


def _check_label_sets(examples: list[Example], labels: list[str], model_dir: Path) -> None:
    unknown = sorted({ex.label for ex in examples} - set(labels))
    if unknown:
        raise InputError(
            f"the data has labels {unknown} that the model at {model_dir} does not know (it predicts "
            f"{', '.join(labels)}). Evaluate with data of the same label set."
        )


@command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.evaluate", description=description(__doc__))
    parser.add_argument("--model", required=True, help="run directory or model directory")
    parser.add_argument("--data", required=True, help="labelled JSONL (the project's example schema)")
    parser.add_argument("--output", help="folder for metrics.json and predictions.jsonl")
    parser.add_argument("--batch-size", type=int, default=64)
    add_precision_arguments(parser)
    args = parser.parse_args(argv)
    with writing(args.output):
        quiet_model_loading()
        loaded = load_model(args.model, precision=args.precision)
        examples = read_examples(args.data, labels=tuple(loaded.labels), require_label=True)
        metrics, rows = evaluate_examples(examples, loaded, batch_size=args.batch_size)
        print(format_metrics_table(metrics, title=f"{args.data} ({loaded.path})"))
        if args.output:
            out = Path(args.output)
            atomic_write_json(out / "metrics.json", metrics)
            atomic_write_jsonl(out / "predictions.jsonl", rows)
            print(f"wrote {out / 'metrics.json'} and {out / 'predictions.jsonl'}")
        return 0
