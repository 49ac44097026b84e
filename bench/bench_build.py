"""Speed of the builder next to spaCy's bare ``nlp.pipe`` on the same texts, on one core.

    python bench/bench_build.py [data/raw | articles.jsonl] [--limit 200] [--repeat 1]

Both sides use the same pipeline (``stancelab.attribution.load_nlp``: tok2vec, tagger, parser, ner).
The goal is at least 20 articles of 500 words per second, i.e. 10,000 words per second.
"""

from __future__ import annotations

import os

# One core: the numeric libraries must not spread the work over threads (set before they are imported).
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import time  # noqa: E402

from stancelab.build.attribution.extractor import load_nlp  # noqa: E402
from stancelab.build.pipeline import article_examples, read_articles  # noqa: E402


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", nargs="?", default="data/raw", help=".txt file, folder of .txt, or .jsonl")
    parser.add_argument("--limit", type=int, default=300, help="use at most this many articles")
    parser.add_argument("--repeat", type=int, default=1, help="repeat the texts to time a longer run")
    args = parser.parse_args(argv)
    rows, _ = read_articles(args.input)
    texts = [r["text"] for r in rows if not r["skip"]][: args.limit] * args.repeat
    words = sum(len(t.split()) for t in texts)
    nlp = load_nlp()
    list(nlp.pipe(texts[:2]))  # warm up
    bare = timed(lambda: list(nlp.pipe(texts)))
    ours = timed(lambda: [article_examples(t, f"a{i}") for i, t in enumerate(texts)])
    print(f"{len(texts)} articles, {words} words ({words / len(texts):.0f} per article), components {nlp.pipe_names}")
    for name, seconds in (("spaCy nlp.pipe", bare), ("stancelab.build", ours)):
        print(
            f"{name:16s} {seconds:7.2f} s  {len(texts) / seconds:7.1f} articles/s  {words / seconds:8.0f} words/s  "
            f"{words / seconds / 500:6.1f} x 500-word articles/s"
        )
    print(f"ratio builder / bare spaCy time: {ours / bare:.2f}")


if __name__ == "__main__":
    main()
