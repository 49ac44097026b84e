"""Time per article of ``predict_article`` with the statement rows (one more model input per statement, see
``model.statement_threshold``) against the same model without them, in one run.

    python bench/bench_predict_article.py [--model runs/default] [--articles data/raw] [--limit 60]
                                          [--repeat 3] [--threads 1] [--out bench/results]

Both settings run the builder and the model on the same articles; timings are medians of ``--repeat`` runs,
the two settings interleaved so that load from other jobs falls on both alike. The goal: with statement
rows, within 1.5x the time per article without them. The result is printed and written as
``<out>/predict_article.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import statistics
import time
import warnings
from dataclasses import replace
from pathlib import Path

import torch

from stancelab.build.pipeline import read_articles
from stancelab.predict.article import ArticleWarning, predict_articles
from stancelab.predict.loading import load_model


def time_articles(articles: list[tuple[str, str]], loaded) -> tuple[float, int]:
    """(seconds, rows) of one ``predict_articles`` call over the articles."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ArticleWarning)
        start = time.perf_counter()
        table = predict_articles(articles, loaded, progress=False)
        return time.perf_counter() - start, len(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="runs/default")
    parser.add_argument("--articles", default="data/raw", help="a folder of .txt or a .jsonl of {id, text}")
    parser.add_argument("--limit", type=int, default=60, help="articles timed (the first N)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="bench/results")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows, _ = read_articles(args.articles)
    articles = [(r["article_id"], r["text"]) for r in rows if not r["skip"]][: args.limit]
    gated = load_model(args.model)
    if gated.spec.statement_threshold >= 1.0:
        raise SystemExit(f"{args.model}: this model has no statement rows (statement_threshold 1); nothing to compare.")
    plain = replace(gated, spec=replace(gated.spec, statement_threshold=1.0))
    time_articles(articles[:3], gated)  # warm-up: the spaCy pipeline, the tokenizer, the phrase encoder
    seconds: dict[str, list[float]] = {"without statement rows": [], "with statement rows": []}
    found: dict[str, int] = {}
    for _ in range(args.repeat):
        for name, loaded in (("without statement rows", plain), ("with statement rows", gated)):
            elapsed, n_rows = time_articles(articles, loaded)
            seconds[name].append(elapsed)
            found[name] = n_rows
    per_article = {name: statistics.median(s) / len(articles) for name, s in seconds.items()}
    ratio = per_article["with statement rows"] / per_article["without statement rows"]
    result = {
        "date": datetime.date.today().isoformat(), "machine": platform.processor() or platform.machine(),
        "threads": args.threads, "model": args.model, "articles": len(articles), "repeat": args.repeat,
        "seconds_per_article": {k: round(v, 4) for k, v in per_article.items()}, "rows": found,
        "ratio_with_to_without": round(ratio, 3), "goal": "ratio <= 1.5",
    }
    print(json.dumps(result, indent=2))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "predict_article.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
