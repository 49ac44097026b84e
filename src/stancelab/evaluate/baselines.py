"""Baselines on the same splits as the fine-tuned model: majority class, TF-IDF + logistic regression,
and the frozen pretrained encoder + logistic regression.

    python -m stancelab.baselines --config configs/default.yaml

The regularisation strength C of each logistic regression is chosen on dev macro-F1; the test split is
scored once, with the chosen C.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline

from stancelab.cli import command, description
from stancelab.config import BASELINES, Config, ConfigError, load_config, load_splits
from stancelab.data.schema import Example, read_examples
from stancelab.evaluate.metrics import bootstrap_macro_f1, classification_metrics
from stancelab.models.inputs import input_texts
from stancelab.models.modeling import resolve_model_path

C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)


def run_baselines(
    config: Config, splits: dict[str, list[Example]], names: tuple[str, ...] = BASELINES
) -> dict[str, dict[str, Any]]:
    """``{baseline: {"dev": metrics, "test": metrics, "C": chosen C}}`` for each requested baseline."""
    unknown = [name for name in names if name not in BASELINES]
    if unknown:
        raise ConfigError(f"unknown baseline {unknown[0]!r}; expected one of {', '.join(BASELINES)}.")
    labels = list(config.data.labels)
    y = {split: [ex.label for ex in items] for split, items in splits.items()}
    results = {}
    if "majority" in names:
        majority = max(labels, key=y["train"].count)
        results["majority"] = _score({s: [majority] * len(y[s]) for s in y if s != "train"}, y, labels, C=None)
    if "tfidf_lr" in names:
        texts = {split: input_texts(items, config.model) for split, items in splits.items()}
        results["tfidf_lr"] = _fit_with_dev_c(tfidf_lr_model, texts, y, labels)
    if "frozen_lr" in names:
        vectors = {split: embed(input_texts(items, config.model), config) for split, items in splits.items()}
        results["frozen_lr"] = _fit_with_dev_c(logistic_model, vectors, y, labels)
    return results


def logistic_model(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=5000, class_weight="balanced")


def tfidf_lr_model(c: float) -> Any:
    """Word uni- and bigrams with sublinear tf, then a class-balanced logistic regression."""
    return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), logistic_model(c))


def fit_best_c(make, x_train: Any, y_train: list[str], x_dev: Any, y_dev: list[str], labels: list[str]):
    """``(C, model)``: one model per C of ``C_GRID`` fitted on train, the best on dev macro-F1 kept (the
    smallest C on a tie). The one way every logistic baseline, here and in experiments, chooses C."""
    best = None
    for c in C_GRID:
        model = make(c).fit(x_train, y_train)
        score = f1_score(y_dev, model.predict(x_dev), labels=labels, average="macro", zero_division=0)
        if best is None or score > best[0]:
            best = (score, c, model)
    return best[1], best[2]


def _fit_with_dev_c(make, x: dict, y: dict, labels: list[str]) -> dict[str, Any]:
    """Choose C on dev (``fit_best_c``), then score dev and test."""
    c, model = fit_best_c(make, x["train"], y["train"], x["dev"], y["dev"], labels)
    preds = {s: list(model.predict(x[s])) for s in x if s != "train"}
    return _score(preds, y, labels, C=c)


def _score(preds: dict, y: dict, labels: list[str], C: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {"C": C}
    for split in preds:
        metrics = classification_metrics(y[split], preds[split], labels)
        metrics["macro_f1_ci"] = list(bootstrap_macro_f1(y[split], preds[split], labels))
        out[split] = metrics
    return out


def embed(texts: list[str], config: Config, batch_size: int = 64) -> np.ndarray:
    """Mean-pooled, L2-normalised sentence embeddings from the frozen pretrained encoder."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from stancelab.models.pooling import mean_pool  # imports torch: only when the encoder baseline runs

    path = resolve_model_path(config.model.name_or_path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, trust_remote_code=False).eval()
    chunks = []
    with torch.inference_mode():
        for begin in range(0, len(texts), batch_size):
            batch = tokenizer(
                texts[begin : begin + batch_size],
                padding=True,
                truncation=True,
                max_length=config.model.max_length,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state  # (batch, tokens, dim)
            pooled = mean_pool(hidden, batch["attention_mask"])  # (batch, dim)
            chunks.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(chunks) if chunks else np.zeros((0, model.config.hidden_size))


def format_comparison(rows: dict[str, dict[str, Any]], split: str = "test") -> str:
    """One line per system: macro-F1 with its 95% CI, accuracy and per-class F1."""
    labels = next(iter(rows.values()))[split]["labels"]
    width = max(len(lb) for lb in labels) + 5
    header = f"{'system':<22}{'macro-F1':>9}  {'95% CI':<13}{'acc':>7}" + "".join(
        f"{'F1 ' + lb:>{width}}" for lb in labels
    )
    lines = [header]
    for name, result in rows.items():
        m = result[split]
        low, high = m.get("macro_f1_ci") or (float("nan"), float("nan"))
        per = "".join(f"{m['per_class'][lb]['f1']:>{width}.3f}" for lb in labels)
        lines.append(f"{name:<22}{m['macro_f1']:>9.3f}  {low:.3f}-{high:.3f}  {m['accuracy']:>7.3f}{per}")
    return "\n".join(lines)


@command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.baselines", description=description(__doc__))
    parser.add_argument("--config", required=True)
    parser.add_argument("overrides", nargs="*", help="section.key=value")
    parser.add_argument("--only", nargs="+", choices=BASELINES, default=list(BASELINES))
    parser.add_argument("--extra", help="another labelled JSONL to score the baselines on (e.g. out-of-domain news)")
    args = parser.parse_args(argv)
    config = load_config(args.config, args.overrides)
    splits = load_splits(config)
    if args.extra:
        splits["extra"] = read_examples(args.extra, labels=tuple(config.data.labels), require_label=True)
    results = run_baselines(config, splits, tuple(args.only))
    for split in [s for s in splits if s != "train"]:
        print(f"\n{split}:\n{format_comparison(results, split)}")
    return 0
