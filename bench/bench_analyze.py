"""End-to-end speed of ``python -m stancelab.analyze`` on 500-word articles, next to what it is made of.

    python bench/bench_analyze.py --model runs/default [--input data/raw] [--articles 200] [--words 500]
        [--precision auto] [--engines local,ray]

In one run, on the same texts, each row on one core unless it says 2 workers:
  spaCy nlp.pipe          the builder's spaCy pipeline, bare (the parse alone)
  build + predict         today's hand chain: stancelab.build's article_examples, then predict() on all examples
  predict_articles        the library call analyze runs per shard (builder, candidates, classifier, issues)
  analyze local           analyze(engine="local", threads=1): reading, shards, Parquet, manifest included
  analyze ray, 1 worker   analyze(engine="ray", workers=1) on a local Ray instance started before the clock
  analyze ray, 2 workers  the same with 2 actors (needs 2 free cores: the scaling ratio is only meaningful then)

Articles of ``--words`` words are made by joining whole paragraphs of the input articles in order, so they
read like news, not like repeated sentences. docs/archive.md turns the per-core rate into archive times.
"""

from __future__ import annotations

import os

# One core per worker: the numeric libraries must not spread the work over threads (set before import).
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from stancelab.analyze import analyze  # noqa: E402
from stancelab.analyze.inputs import read_archive  # noqa: E402
from stancelab.analyze.run import resolve_precision  # noqa: E402
from stancelab.build.attribution.extractor import load_nlp  # noqa: E402
from stancelab.build.pipeline import article_examples  # noqa: E402
from stancelab.predict.article import predict_articles  # noqa: E402
from stancelab.predict.cli import quiet_model_loading  # noqa: E402
from stancelab.predict.inference import predict  # noqa: E402
from stancelab.predict.loading import load_model  # noqa: E402


def make_articles(texts: list[str], n: int, words: int) -> list[str]:
    """``n`` articles of about ``words`` words: whole paragraphs of ``texts`` joined in order (cycling)."""
    paragraphs = [p.strip() for t in texts for p in t.split("\n\n") if len(p.split()) >= 5]
    articles, current, k = [], [], 0
    while len(articles) < n:
        current.append(paragraphs[k % len(paragraphs)])
        k += 1
        if sum(len(p.split()) for p in current) >= words:
            articles.append("\n\n".join(current))
            current = []
    return articles


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def hand_chain(texts: list[str], model) -> None:
    examples = [ex for i, t in enumerate(texts) for ex in article_examples(t, f"a{i}")[0]]
    predict(examples, model)


def run_analyze(path: Path, model_path: str, precision: str, engine: str, workers: int) -> tuple[float, float]:
    """Wall seconds of the whole call, and the seconds spent inside shards summed over workers
    (the per-core cost without start-up: loading the model and spaCy in each worker)."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        manifest = analyze(path, model_path, out, engine=engine, workers=workers, threads=1, quiet=True,
                           precision=precision, report=False, shard_size=max(1, _count(path) // 8))
        wall = time.perf_counter() - start
    return wall, sum(s["seconds"] for s in manifest["shards"].values())


def _count(path: Path) -> int:
    return sum(1 for _ in path.open(encoding="utf-8"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="run directory")
    parser.add_argument("--input", default="data/raw", help="articles to cut 500-word articles from")
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--words", type=int, default=500)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--engines", default="local,ray", help="comma-separated: local, ray")
    args = parser.parse_args(argv)
    import warnings

    import torch

    warnings.filterwarnings("ignore", message=r".* examples are longer than max_length")  # counted in manifests
    torch.set_num_threads(1)
    quiet_model_loading()
    source, _ = read_archive(args.input)
    texts = make_articles([a.text for a in source if not a.skip], args.articles, args.words)
    precision = resolve_precision(args.precision)
    model, nlp = load_model(args.model, precision=precision), load_nlp()
    predict_articles([("warm", texts[0])], model)  # loads the phrase encoder used for issues
    words = sum(len(t.split()) for t in texts)
    pairs = list(zip(map(str, range(len(texts))), texts))
    rows = [("spaCy nlp.pipe", timed(lambda: list(nlp.pipe(texts))), None),
            ("build + predict", timed(lambda: hand_chain(texts, model)), None),
            ("predict_articles", timed(lambda: predict_articles(pairs, model)), None)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "articles.jsonl"
        path.write_text("".join(json.dumps({"id": f"b{i:06d}", "text": t}) + "\n" for i, t in enumerate(texts)),
                        encoding="utf-8")
        engines = args.engines.split(",")
        if "local" in engines:
            rows.append(("analyze local", *run_analyze(path, args.model, precision, "local", 1)))
        if "ray" in engines:
            rows += ray_rows(path, args.model, precision)
    report(rows, len(texts), words, precision)


def ray_rows(path: Path, model_path: str, precision: str) -> list[tuple[str, float, float]]:
    try:
        import ray
    except ImportError:
        print("ray not installed: pip install -e \".[scale]\" to time the ray engine")
        return []
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        return [(f"analyze ray, {n} worker{'s' * (n > 1)}", *run_analyze(path, model_path, precision, "ray", n))
                for n in (1, 2)]
    finally:
        ray.shutdown()


def report(rows: list[tuple[str, float, float | None]], n: int, words: int, precision: str) -> None:
    """One line per row; ``in shards`` is articles per second of shard time summed over workers (per core)."""
    seconds = {name: s for name, s, _ in rows}
    print(f"{n} articles, {words} words ({words / n:.0f} per article), precision {precision}")
    print(f"{'':24s} {'seconds':>8s} {'articles/s':>11s} {'x spaCy time':>13s} {'x build+predict':>16s} "
          f"{'in shards, /s/core':>19s}")
    for name, s, inside in rows:
        per_core = f"{n / inside:19.2f}" if inside else f"{'':19s}"
        print(f"{name:24s} {s:8.2f} {n / s:11.2f} {s / seconds['spaCy nlp.pipe']:13.2f} "
              f"{s / seconds['build + predict']:16.2f} {per_core}")
    if "analyze ray, 1 worker" in seconds and "analyze ray, 2 workers" in seconds:
        ratio = seconds["analyze ray, 1 worker"] / seconds["analyze ray, 2 workers"]
        print(f"ray scaling, 2 workers vs 1: {ratio:.2f}x (wall time, worker start-up included)")


if __name__ == "__main__":
    main()
