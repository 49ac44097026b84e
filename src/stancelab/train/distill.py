"""Silver data for distillation: a teacher's probabilities on statements of unlabelled real articles.

    python -m stancelab.distill --teacher runs/accurate --output data/silver/realnews_silver.jsonl \\
        [--shared ../shared/realnews] [--limit 3000] [--seed 13]

The unlabelled articles are the shared FNC-1 bodies and Reuters stories that are not labelled in
``data/realnews``, not listed in ``held_for_dev.txt``, and not in a story (TF-IDF cosine >= 0.4 group) of
the held-out articles or of the real-news dev and test splits, so no silver statement reports an event that
is evaluated. The builder finds their statements; each gives one example (speaker, first target candidate,
sentence), preferring statements whose target comes from a stance predicate ("opposed X", "called for X"),
which are the likeliest to be positions. The teacher labels them (calibrated probabilities, ``probs``), and
the student learns them as soft labels (``data.silver``). A manifest beside the output records the teacher,
its config, the articles used, counts and this command.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.build.pipeline import read_articles
from stancelab.cli import command, description, progress, writing
from stancelab.data.io import InputError, atomic_write_json, sha256_file
from stancelab.data.realnews import SHARED, read_held, read_splits, story_groups
from stancelab.data.schema import Example, write_examples
from stancelab.predict.cli import quiet_model_loading
from stancelab.predict.inference import predict
from stancelab.predict.loading import load_model
from stancelab.predict.positions import article_candidates, unique_by


def unlabelled_articles(shared: Path, labelled: set[str], evaluated: set[str]) -> list[dict[str, str]]:
    """Shared articles that are not labelled and share no story with a held-out or evaluated article."""
    rows = []
    for name in ("articles.jsonl", "reuters.jsonl"):
        if (shared / name).exists():
            rows += [
                {"id": r["article_id"], "text": r["text"]} for r in read_articles(shared / name)[0] if not r["skip"]
            ]
    stories = story_groups([r["id"] for r in rows], [r["text"] for r in rows])
    blocked = {stories[a] for a in (read_held(shared) | evaluated) if a in stories}
    return [r for r in rows if r["id"] not in labelled and stories[r["id"]] not in blocked]


def silver_examples(articles: list[dict[str, str]], limit: int, seed: int) -> list[Example]:
    """One example per statement; statements with a stance-predicate target first, then the rest, each
    group in a seeded order, up to ``limit``."""
    predicate, other = [], []
    for article in progress(articles, desc="statements"):
        items, _ = article_candidates(article["text"])
        for k, item in enumerate(items):
            if not item.candidates:
                continue
            s = item.statement
            ex = Example(
                id=f"{article['id']}-s{k:03d}",
                article_id=article["id"],
                speaker=item.holder or s.speaker,
                speaker_affiliation=s.speaker_affiliation,
                target=item.candidates[0],
                text=s.sentence,
                start=s.sentence_start,
                end=s.sentence_end,
                kind=s.kind,
                cue=s.cue,
                domain=f"news-{article['id'].split('-', 1)[0]}",
            )
            (predicate if item.rules and item.stance_predicate else other).append(ex)
    rng = np.random.default_rng(seed)
    ordered = [predicate[i] for i in rng.permutation(len(predicate))] + [other[i] for i in rng.permutation(len(other))]
    # split quotes of one sentence give several statements: one example per (article, sentence)
    return unique_by(ordered, lambda ex: (ex.article_id, ex.start))[:limit]


def label_silver(examples: list[Example], teacher: Any, batch_size: int = 32) -> list[Example]:
    """The examples with the teacher's calibrated probabilities in ``probs``."""
    results = predict(examples, teacher, batch_size=batch_size)
    return [
        Example(**{**_fields(ex), "meta": {**ex.meta, "probs": r["probs"], "silver": True}})
        for ex, r in zip(examples, results)
    ]


def _fields(ex: Example) -> dict[str, Any]:
    return {k: v for k, v in ex.__dict__.items() if k != "meta"}


@command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.distill", description=description(__doc__))
    parser.add_argument("--teacher", required=True, help="run directory of the teacher (configs/accurate.yaml)")
    parser.add_argument("--output", required=True, help="silver JSONL to write")
    parser.add_argument("--shared", default=str(SHARED), help="folder of the shared real articles")
    parser.add_argument("--limit", type=int, default=3000, help="statements to label")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    with writing(args.output):
        quiet_model_loading()
        splits, _ = read_splits()
        evaluated = {a for a, s in splits.items() if s in ("dev", "test")}
        articles = unlabelled_articles(Path(args.shared), set(splits), evaluated)
        examples = silver_examples(articles, args.limit, args.seed)
        if not examples:
            raise InputError(f"{args.shared}: no unlabelled statements found; check --shared.")
        teacher = load_model(args.teacher)
        silver = label_silver(examples, teacher)
        out = write_examples(args.output, silver)
        manifest = {
            "command": "python -m stancelab.distill " + " ".join(argv if argv is not None else sys.argv[1:]),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "teacher": str(teacher.path),
            "teacher_base_model": teacher.spec.base_model,
            "teacher_weights_sha256": sha256_file(Path(teacher.path) / "model.safetensors"),
            "articles": len({ex.article_id for ex in silver}),
            "examples": len(silver),
            "article_ids_sha256": hashlib.sha256(
                "\n".join(sorted({e.article_id for e in silver})).encode()
            ).hexdigest(),
            "sources": "FNC-1 train_bodies.csv and Reuters-21578 (see data/realnews/README.md)",
        }
        atomic_write_json(Path(str(out) + ".manifest.json"), manifest)
        print(f"wrote {out} ({len(silver)} examples from {manifest['articles']} articles)")
        return 0


if __name__ == "__main__":
    sys.exit(main())
