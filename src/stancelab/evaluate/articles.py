"""Score ``predict_article`` end to end against completely annotated articles.

    python -m stancelab.evaluate_articles --model runs/default --gold data/realnews/positions.jsonl \\
        --articles data/realnews/articles.jsonl --split test --output runs/default/articles_realnews_test

For every article of the gold file, the predicted positions are matched one to one with the gold positions
(rows labelled ``none`` in the gold are statements without a position and are not positions to find). A
predicted row *finds* a gold position when their statements overlap and the speakers agree (same name,
or one is the other's surname). Reported, per source and overall:

- ``recall_found``: gold positions found; ``recall_label``: found with the right label;
- ``precision``: predicted rows that are gold positions; ``precision_label``: ... with the right label;
- ``target_agreement``: found positions whose predicted target or issue names the gold target;
- ``actor_accuracy``: found positions whose actor equals the gold affiliation (or the speaker without one);
- ``condition_f1``: token F1 of the predicted condition span against the gold one, over gold conditionals
  found (0 when the prediction is not conditional);
- ``issue_pairwise_f1``: the issue clustering applied to each article's gold target mentions, against the
  grouping by identical gold target, as pairwise F1.

``--named-only`` leaves out predicted rows whose speaker is an unnamed source ("analysts", "a senior
official"), for gold sets that annotate named speakers only (the shared real-news development set).
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

from stancelab.build.pipeline import read_articles
from stancelab.cli import command, description, writing
from stancelab.data.io import InputError, atomic_write_json, atomic_write_text, read_jsonl_objects
from stancelab.predict.article import ArticleWarning, predict_articles
from stancelab.predict.cli import add_precision_arguments, quiet_model_loading
from stancelab.predict.loading import load_model
from stancelab.predict.positions import actor_of, cluster_issues, overlap, token_jaccard

TARGET_MATCH = 0.5


def read_gold(path: str | Path, articles: dict[str, str], split: str | None = None) -> dict[str, list[dict]]:
    """Gold rows per article, each with ``start``/``end`` (found in the article when the file has none)."""
    gold: dict[str, list[dict]] = defaultdict(list)
    for lineno, row in read_jsonl_objects(path):
        if split and row.get("split", split) != split:
            continue
        article = articles.get(row.get("article_id"))
        if article is None:
            continue
        if row.get("start") is None:
            start = article.find(row["text"])
            if start < 0:
                raise InputError(f"{path}:{lineno}: 'text' is not in article {row['article_id']}.")
            row = {**row, "start": start, "end": start + len(row["text"])}
        gold[row["article_id"]].append(row)
    return gold


def same_speaker(a: str, b: str) -> bool:
    """'Sergey Lavrov' and 'Lavrov' agree; so do names that contain each other."""
    a, b = _norm(a), _norm(b)
    if not a or not b:
        return False
    return a == b or a in b or b in a or a.split()[-1] == b.split()[-1]


def _norm(name: str) -> str:
    return re.sub(r"^(the|a|an)\s+", "", re.sub(r"[^\w\s-]", "", name.lower())).strip()


def is_anonymous(speaker: str) -> bool:
    """An unnamed source keeps the article's description, which starts in lower case ("analysts")."""
    return not speaker[:1].isupper()


def match_article(gold: list[dict], predicted: list[dict]) -> list[tuple[dict, dict]]:
    """One-to-one (gold, predicted) pairs: overlapping statements, same speaker; right labels first."""
    candidates = []
    for i, g in enumerate(gold):
        for j, p in enumerate(predicted):
            if overlap((g["start"], g["end"]), (p["start"], p["end"])) and same_speaker(g["speaker"], p["speaker"]):
                score = (g["label"] == p["label"], token_jaccard(g["target"], p["target"]))
                candidates.append((score, i, j))
    used_g, used_p, pairs = set(), set(), []
    for _, i, j in sorted(candidates, reverse=True):
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            pairs.append((gold[i], predicted[j]))
    return pairs


def score_articles(gold: dict[str, list[dict]], predicted: dict[str, list[dict]], sources: dict[str, str]):
    """Metrics per source and overall (see the module docstring)."""
    buckets: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(list))
    for article_id, rows in gold.items():
        positions = [g for g in rows if g["label"] != "none"]
        preds = predicted.get(article_id, [])
        pairs = match_article(positions, preds)
        for name in (sources.get(article_id, "all"), "all"):
            b = buckets[name]
            b["gold"].append(len(positions))
            b["predicted"].append(len(preds))
            b["pairs"] += pairs
            b["issue"].append(issue_pairs(positions))
    return {name: _summary(b) for name, b in sorted(buckets.items())}


def _summary(b: dict[str, list]) -> dict[str, Any]:
    n_gold, n_pred, pairs = sum(b["gold"]), sum(b["predicted"]), b["pairs"]
    right = sum(g["label"] == p["label"] for g, p in pairs)
    conditions = [condition_f1(g, p) for g, p in pairs if g["label"] == "conditional" and "condition_start" in g]
    tp, fp, fn = (sum(x[k] for x in b["issue"]) for k in range(3))
    return {
        "articles": len(b["gold"]), "gold_positions": n_gold, "predicted_rows": n_pred,
        "recall_found": _ratio(len(pairs), n_gold), "recall_label": _ratio(right, n_gold),
        "precision": _ratio(len(pairs), n_pred), "precision_label": _ratio(right, n_pred),
        "target_agreement": _ratio(sum(target_agrees(g, p) for g, p in pairs), len(pairs)),
        "actor_accuracy": _ratio(sum(actor_agrees(g, p) for g, p in pairs), len(pairs)),
        "condition_f1": _ratio(sum(conditions), len(conditions)), "conditions_scored": len(conditions),
        "issue_pairwise_f1": _ratio(2 * tp, 2 * tp + fp + fn),
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def target_agrees(g: dict, p: dict) -> bool:
    best = max(token_jaccard(g["target"], p["target"]), token_jaccard(g["target"], p.get("issue") or ""))
    return best >= TARGET_MATCH


def actor_agrees(g: dict, p: dict) -> bool:
    gold_actor = actor_of(g["speaker"], g.get("speaker_affiliation") or "")
    return _norm(gold_actor) == _norm(p.get("actor") or "")


def condition_f1(g: dict, p: dict) -> float:
    start = p.get("condition_start")
    if p["label"] != "conditional" or start is None or start != start:  # None, or NaN from a DataFrame
        return 0.0
    gold = (g["condition_start"], g["condition_end"])
    pred = (int(p["condition_start"]), int(p["condition_end"]))
    shared = overlap(gold, pred)
    if not shared:
        return 0.0
    precision, recall = shared / (pred[1] - pred[0]), shared / (gold[1] - gold[0])
    return 2 * precision * recall / (precision + recall)


def issue_pairs(positions: list[dict]) -> tuple[int, int, int]:
    """(true, false, missed) positive pairs of the issue clustering against identical gold targets."""
    mentions = [g["target"] for g in positions]
    if len(mentions) < 2:
        return 0, 0, 0
    labels, _ = cluster_issues(mentions)
    tp = fp = fn = 0
    for i, j in itertools.combinations(range(len(mentions)), 2):
        same_gold = mentions[i].strip().lower() == mentions[j].strip().lower()
        same_pred = labels[i] == labels[j]
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    return tp, fp, fn


def format_markdown(metrics: dict[str, dict[str, Any]], title: str) -> str:
    keys = ["articles", "gold_positions", "predicted_rows", "recall_found", "recall_label", "precision",
            "precision_label", "target_agreement", "actor_accuracy", "condition_f1", "issue_pairwise_f1"]
    lines = [f"# {title}", "", "| source | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for source, m in metrics.items():
        lines.append(f"| {source} | " + " | ".join("-" if m[k] is None else str(m[k]) for k in keys) + " |")
    return "\n".join(lines) + "\n"


@command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.evaluate_articles", description=description(__doc__))
    parser.add_argument("--model", required=True, help="run directory or model directory")
    parser.add_argument("--gold", required=True, help="JSONL of gold positions (and none rows) of whole articles")
    parser.add_argument("--articles", required=True, help="the articles: .jsonl of {id, text}, a .txt or a folder")
    parser.add_argument("--split", help="score only gold rows whose 'split' is this (data/realnews/positions.jsonl)")
    parser.add_argument("--splits", help="JSON file of article -> split for --split (data/realnews/splits.json, "
                        "data/gold/splits.json)")
    parser.add_argument("--named-only", action="store_true", help="drop predicted rows of unnamed sources")
    parser.add_argument("--output", help="folder for articles_metrics.json and .md")
    add_precision_arguments(parser)
    args = parser.parse_args(argv)
    with writing(args.output):
        quiet_model_loading()
        rows, _ = read_articles(args.articles)
        articles = {row["article_id"]: row["text"] for row in rows if not row["skip"]}
        gold = read_gold(args.gold, articles)
        if args.split:
            gold = _keep_split(gold, args.splits, args.split)
        if not gold:
            raise InputError(f"{args.gold}: no gold rows for the articles in {args.articles}. Check both paths.")
        with warnings.catch_warnings(record=True) as caught:  # one line for the builder's per-article notes
            warnings.simplefilter("always", ArticleWarning)
            table = predict_articles([(a, articles[a]) for a in gold], load_model(args.model, precision=args.precision))
        notes = [w for w in caught if issubclass(w.category, ArticleWarning)]
        for other in (w for w in caught if not issubclass(w.category, ArticleWarning)):
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
        if notes:
            print(f"note: {len(notes)} builder warning(s) over {len(gold)} articles (HTML remnants, unbalanced "
                  "quotes, ...)", file=sys.stderr)
        predicted: dict[str, list[dict]] = defaultdict(list)
        for row in table.to_dict(orient="records"):
            if not (args.named_only and is_anonymous(row["speaker"])):
                predicted[row["article_id"]].append(row)
        sources = {a: a.split("-", 1)[0] if "-" in a else "corpus" for a in gold}
        metrics = score_articles(gold, predicted, sources)
        text = format_markdown(metrics, f"predict_article on {args.gold} ({args.model})")
        print(text)
        if args.output:
            atomic_write_json(Path(args.output) / "articles_metrics.json", metrics)
            atomic_write_text(Path(args.output) / "articles_metrics.md", text)
        return 0


def _keep_split(gold: dict[str, list[dict]], splits_path: str | None, split: str) -> dict[str, list[dict]]:
    if not splits_path:
        raise InputError("--split needs --splits (e.g. data/realnews/splits.json).")
    splits = json.loads(Path(splits_path).read_text(encoding="utf-8"))["articles"]
    return {a: rows for a, rows in gold.items() if _split_of(splits.get(a)) == split}


def _split_of(entry: Any) -> str | None:
    """An article's split in either splits file: ``"test"`` (data/gold) or ``{"split": "test", ...}``
    (data/realnews)."""
    return entry.get("split") if isinstance(entry, dict) else entry


if __name__ == "__main__":
    sys.exit(main())
