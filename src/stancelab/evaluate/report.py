"""Run reports: slices, error analysis, plots, a Markdown report and the model card.

Everything here reads prediction rows (as written to ``predictions_<split>.jsonl``) and metrics dicts,
so it can be rerun on any finished run without the model.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stancelab.data.io import atomic_write_jsonl, atomic_write_text
from stancelab.evaluate.metrics import classification_metrics
from stancelab.viz import plot_confusion, plot_reliability

ORG_WORDS = re.compile(
    r"\b(ministry|department|government|union|bank|commission|council|federation|association|party|court|agency|"
    r"group|committee|office|company|corporation|inc|ltd|plc|board|authority|organi[sz]ation|league|alliance|"
    r"institute|foundation|coalition|parliament|senate|congress|club|airlines?|motors|fund|network)\b",
    re.IGNORECASE,
)


def speaker_type(row: dict[str, Any]) -> str:
    """'organisation' for institutions, states and companies, 'person' otherwise (a heuristic on the name)."""
    speaker = row.get("speaker", "")
    if speaker == row.get("speaker_affiliation") or speaker.lower().startswith("the ") or ORG_WORDS.search(speaker):
        return "organisation"
    return "person"


def normalise_target(target: str) -> str:
    return re.sub(r"^(the|a|an)\s+", "", target.lower().strip())


def statement_targets(rows: list[dict[str, Any]]) -> Callable[[dict[str, Any]], str]:
    """Slice key: does the example's statement carry other targets in ``rows``, and with other labels?

    One sentence often holds several positions ("opposed the deployment ..., but added that airstrikes
    were not enough"); the model must then read the target, not just the text. Values: ``one target``,
    ``several targets, one label``, ``several targets, mixed labels`` (``unknown`` for a row without text).
    """
    labels_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in rows:
        if row.get("text"):
            labels_of[(str(row.get("article_id", "")), row["text"])].append(row["label"])

    def key(row: dict[str, Any]) -> str:
        if not row.get("text"):
            return "unknown"
        labels = labels_of[(str(row.get("article_id", "")), row["text"])]
        if len(labels) == 1:
            return "one target"
        return "several targets, one label" if len(set(labels)) == 1 else "several targets, mixed labels"

    return key


def slice_metrics(rows: list[dict[str, Any]], labels: list[str], train_targets: set[str]) -> dict[str, Any]:
    """Accuracy and macro-F1 by attribution kind, domain, speaker type, target seen/unseen in training,
    and whether the statement carries other targets (``statement_targets``)."""
    keys = {
        "kind": lambda r: r.get("kind") or "unknown",
        "domain": lambda r: r.get("domain") or "unknown",
        "speaker_type": speaker_type,
        "target": lambda r: "seen" if normalise_target(r["target"]) in train_targets else "unseen",
        "statement": statement_targets(rows),
    }
    out: dict[str, Any] = {}
    for name, key in keys.items():
        groups: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            groups[key(row)].append(row)
        out[name] = {value: _group_scores(items, labels) for value, items in sorted(groups.items())}
    return out


def _group_scores(rows: list[dict[str, Any]], labels: list[str]) -> dict[str, Any]:
    m = classification_metrics([r["label"] for r in rows], [r["predicted"] for r in rows], labels)
    return {"n": m["n"], "accuracy": m["accuracy"], "macro_f1": m["macro_f1"]}


def write_errors(rows: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """Misclassified examples, most confident first (the errors a user should read first)."""
    errors = sorted((r for r in rows if r["predicted"] != r["label"]), key=lambda r: -r["confidence"])
    atomic_write_jsonl(path, errors)
    return errors


def markdown_report(name: str, metrics: dict[str, Any], baselines: dict[str, Any], slices: dict[str, Any]) -> str:
    """The run's report: headline metrics with CIs, calibration, baselines, slices."""
    lines = [f"# Run report: {name}", ""]
    for split in ("dev", "test"):
        m = metrics[split]
        low, high = m["macro_f1_ci"]
        lines += [
            f"## {split} (n={m['n']})",
            "",
            f"- accuracy {m['accuracy']:.3f}; macro-F1 {m['macro_f1']:.3f} (95% bootstrap CI {low:.3f}-{high:.3f})",
            f"- expected calibration error {m['ece']:.3f} after temperature scaling (T={metrics['temperature']:.2f}, "
            f"fitted on dev); {m.get('ece_uncalibrated', float('nan')):.3f} before",
            "",
            "| label | precision | recall | F1 | support |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {lb} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |"
            for lb, v in m["per_class"].items()
        ]
        lines.append("")
    if baselines:
        lines += ["## Against baselines (test)", "", "| system | macro-F1 | 95% CI | accuracy |", "|---|---|---|---|"]
        rows = {"this run": {"test": metrics["test"]}, **baselines}
        for system, result in rows.items():
            m = result["test"]
            lines.append(
                f"| {system} | {m['macro_f1']:.3f} | {m['macro_f1_ci'][0]:.3f}-{m['macro_f1_ci'][1]:.3f} | "
                f"{m['accuracy']:.3f} |"
            )
        lines.append("")
    lines += ["## Slices (test)", ""]
    for slice_name, groups in slices.items():
        lines += [f"### by {slice_name}", "", "| value | n | accuracy | macro-F1 |", "|---|---|---|---|"]
        lines += [f"| {v} | {g['n']} | {g['accuracy']:.3f} | {g['macro_f1']:.3f} |" for v, g in groups.items()]
        lines.append("")
    lines += ["Plots: `confusion_test.png`, `reliability_test.png`. Errors, most confident first: `errors_test.jsonl`."]
    return "\n".join(lines) + "\n"


def model_card(name: str, config: dict[str, Any], metrics: dict[str, Any], n_train: int) -> str:
    """README.md saved next to the weights: what the model is, how it was trained, how well it does."""
    test, dev = metrics["test"], metrics["dev"]
    return f"""# stancelab model: {name}

Labels each (speaker, target, text) example from news as one of {", ".join(test["labels"])}.

- Base encoder: `{config["model"]["name_or_path"]}`; input: `{config["model"]["template_a"]}` paired with
  `{config["model"]["template_b"]}`, at most {config["model"]["max_length"]} tokens.
- Method: {_method_line(config)}
- Training data: {n_train} hand-labelled examples from `{config["data"]["train"]}`; dev split
  `{config["data"]["dev"]}`; softmax temperature {metrics["temperature"]:.2f} fitted on dev.
- Dev macro-F1 {dev["macro_f1"]:.3f}; test macro-F1 {test["macro_f1"]:.3f} (95% CI {test["macro_f1_ci"][0]:.3f}-
  {test["macro_f1_ci"][1]:.3f}), accuracy {test["accuracy"]:.3f}, ECE {test["ece"]:.3f}.
- Config: `config.yaml` in the run directory; seed {config["train"]["seed"]}.

## Intended use
Research and media analysis: finding who supports, opposes or conditionally backs what in English news,
with a person reviewing the output. Not for decisions about individuals.

## Limits
Trained on a small corpus of news-style articles written for the project; expect lower scores on other
outlets, genres and languages (measure them with `python -m stancelab.evaluate`). The label set does not
cover neutral statements: the builder should only pass statements that take a position. Probabilities are
calibrated on the project's dev split only.
"""


def _method_line(config: dict[str, Any]) -> str:
    train = config["train"]
    if train.get("method") == "setfit":
        sf = config.get("setfit", {})
        return (
            f"SetFit (contrastive tuning, {sf.get('num_iterations')} pairs per example, then a logistic-regression "
            "head), a fixed budget with no selection on dev; segments A and B joined by ` || `."
        )
    kept = "the epoch with the best dev macro-F1" if train.get("select_best", True) else "the last epoch"
    return f"fine-tune, up to {train['epochs']:g} epochs at learning rate {train['learning_rate']:g}, keeping {kept}."


def write_run_report(
    work_dir: Path,
    name: str,
    config: dict[str, Any],
    metrics: dict[str, Any],
    rows: dict[str, list[dict]],
    train_rows: list[Any],
    baselines: dict[str, Any],
) -> dict[str, Any]:
    """Write slices.json-ready data, errors, plots, report.md and the model card; return the slices."""
    labels = metrics["test"]["labels"]
    train_targets = {normalise_target(ex.target) for ex in train_rows}
    slices = slice_metrics(rows["test"], labels, train_targets)
    for split in ("dev", "test"):
        write_errors(rows[split], work_dir / f"errors_{split}.jsonl")
    plot_confusion(metrics["test"], work_dir / "confusion_test.png", f"{name}: test confusion matrix")
    plot_reliability(rows["test"], work_dir / "reliability_test.png", f"{name}: test reliability")
    atomic_write_text(work_dir / "report.md", markdown_report(name, metrics, baselines, slices))
    atomic_write_text(work_dir / "model" / "README.md", model_card(name, config, metrics, len(train_rows)))
    return slices
