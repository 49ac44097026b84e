"""The hand-labelled corpus: assemble, split by article, check, and prepare train/dev/test files.

    python -m stancelab.corpus prepare            # data/gold -> data/processed/{train,dev,test}.jsonl
    python -m stancelab.corpus check              # schema, offsets, leakage, duplicates, balance
    python -m stancelab.corpus assemble           # curation: data/gold/parts/*.jsonl -> stance.jsonl
    python -m stancelab.corpus split              # curation: (re)draw the article-level split
    python -m stancelab.corpus split --new-to train   # curation: new articles to train, the rest fixed
    python -m stancelab.corpus stats              # counts for the data card
    python -m stancelab.corpus agreement          # Cohen's kappa against the blind second pass

``stance.jsonl`` and ``splits.json`` are committed and fixed; ``prepare`` only partitions them, so
every run trains and tests on exactly the same examples.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from stancelab.cli import command, description
from stancelab.data.io import (
    InputError,
    atomic_write_json,
    atomic_write_jsonl,
    read_jsonl_objects,
    read_text,
    sha256_file,
)
from stancelab.data.schema import Example, example_from_dict, read_examples, write_examples

GOLD = Path("data/gold/stance.jsonl")
SPLITS = Path("data/gold/splits.json")
RAW = Path("data/raw")
PROCESSED = Path("data/processed")
SPLIT_NAMES = ("train", "dev", "test")


def load_articles(raw_dir: Path = RAW) -> dict[str, str]:
    """Article id (file stem) -> text for every ``.txt`` in ``raw_dir``."""
    return {path.stem: read_text(path) for path in sorted(Path(raw_dir).glob("*.txt"))}


def assemble(parts: list[Path], articles: dict[str, str]) -> list[Example]:
    """Turn labeller part files (no ids or offsets) into examples with ids and verified offsets."""
    examples, counters = [], Counter()
    for part in parts:
        for lineno, row in read_jsonl_objects(part):
            where = f"{part}:{lineno}"
            article = articles.get(row.get("article_id", ""))
            if article is None:
                raise InputError(f"{where}: article {row.get('article_id')!r} not found in {RAW}/.")
            start = article.find(row.get("text", "\0"))
            if start < 0:
                raise InputError(f"{where}: 'text' is not a verbatim substring of article {row['article_id']}.")
            counters[row["article_id"]] += 1
            row = {
                "id": f"{row['article_id']}-{counters[row['article_id']]:03d}",
                **row,
                "start": start,
                "end": start + len(row["text"]),
            }
            examples.append(example_from_dict(row, require_label=True, where=where))
    return examples


def assemble_attributions(parts: list[Path], articles: dict[str, str]) -> list[dict[str, Any]]:
    """Concatenate attribution part files, checking every line's fields and that its text is in the article."""
    rows = []
    for part in parts:
        for lineno, row in read_jsonl_objects(part):
            missing = [k for k in ("article_id", "speaker", "cue", "text", "kind") if not isinstance(row.get(k), str)]
            if missing:
                raise InputError(f"{part}:{lineno}: missing or non-string field(s) {missing}.")
            if row["text"] not in articles.get(row["article_id"], ""):
                raise InputError(f"{part}:{lineno}: 'text' is not a verbatim substring of article {row['article_id']}.")
            rows.append({k: row[k] for k in ("article_id", "speaker", "cue", "text", "kind")})
    return rows


def draw_splits(
    examples: list[Example], seed: int = 2015, test_share: float = 0.25, dev_share: float = 0.15
) -> dict[str, str]:
    """Article -> split, spread over domains.

    Articles are shuffled within each domain, then dealt in rounds (every domain's first article, then
    every domain's second, ...); the first ``test_share`` of that order goes to test, the next
    ``dev_share`` to dev, the rest to train. Every domain thus lands in test before any lands twice.
    """
    by_domain: dict[str, list[str]] = defaultdict(list)
    for ex in examples:
        if ex.article_id not in by_domain[ex.domain or ""]:
            by_domain[ex.domain or ""].append(ex.article_id)
    rng = random.Random(seed)
    queues = []
    for domain in sorted(by_domain):
        ids = sorted(by_domain[domain])
        rng.shuffle(ids)
        queues.append(ids)
    order = [q[i] for i in range(max(map(len, queues))) for q in queues if i < len(q)]
    n_test, n_dev = round(len(order) * test_share), round(len(order) * dev_share)
    return {
        article_id: "test" if i < n_test else "dev" if i < n_test + n_dev else "train"
        for i, article_id in enumerate(order)
    }


def extend_splits(splits: dict[str, str], examples: list[Example], to: str) -> dict[str, str]:
    """The fixed split with every article that has none yet added to ``to``; no article changes split.

    This is how the corpus grows without moving evaluation articles: new articles are drawn into one
    split (normally ``train``) and the existing dev and test stay exactly as they were.
    """
    if to not in SPLIT_NAMES:
        raise InputError(f"new articles must go to one of {', '.join(SPLIT_NAMES)}, found {to!r}.")
    new = sorted({ex.article_id for ex in examples} - set(splits))
    return {**splits, **{article_id: to for article_id in new}}


def partition(examples: list[Example], splits: dict[str, str]) -> dict[str, list[Example]]:
    """Examples per split; every article must have a split."""
    missing = sorted({ex.article_id for ex in examples} - set(splits))
    if missing:
        raise InputError(
            f"{SPLITS}: articles {missing[:5]} have no split. Run `python -m stancelab.corpus split` "
            "only when the corpus grows, and say so in data/README.md."
        )
    out: dict[str, list[Example]] = {name: [] for name in SPLIT_NAMES}
    for ex in examples:
        out[splits[ex.article_id]].append(ex)
    return out


def read_splits(path: Path = SPLITS) -> dict[str, str]:
    data = json.loads(read_text(path))
    bad = {a: s for a, s in data["articles"].items() if s not in SPLIT_NAMES}
    if bad:
        raise InputError(f"{path}: splits must be one of {SPLIT_NAMES}, found {bad}.")
    return data["articles"]


def prepare(gold: Path = GOLD, splits_path: Path = SPLITS, out_dir: Path = PROCESSED) -> dict[str, Any]:
    """Write ``train/dev/test.jsonl`` and a manifest (counts and hashes) to ``out_dir``."""
    examples = read_examples(gold, require_label=True)
    parts = partition(examples, read_splits(splits_path))
    manifest: dict[str, Any] = {"source": str(gold), "sha256": sha256_file(gold), "splits": {}}
    for name, items in parts.items():
        path = write_examples(Path(out_dir) / f"{name}.jsonl", items)
        manifest["splits"][name] = {
            "examples": len(items),
            "articles": len({ex.article_id for ex in items}),
            "labels": dict(Counter(ex.label for ex in items)),
            "sha256": sha256_file(path),
        }
    atomic_write_json(Path(out_dir) / "manifest.json", manifest)
    return manifest


def check(examples: list[Example], articles: dict[str, str], splits: dict[str, str]) -> list[str]:
    """Problems found in the corpus (empty list = clean): offsets, duplicates, leakage."""
    problems = []
    seen = set()
    for ex in examples:
        text = articles.get(ex.article_id, "")
        if ex.start is None or text[ex.start : ex.end] != ex.text:
            problems.append(f"{ex.id}: text is not at [{ex.start}:{ex.end}] in {ex.article_id}")
        key = (ex.article_id, ex.speaker.lower(), ex.target.lower(), ex.text)
        if key in seen:
            problems.append(f"{ex.id}: duplicate of an earlier example (same article, speaker, target, text)")
        seen.add(key)
        if ex.article_id not in splits:
            problems.append(f"{ex.id}: article {ex.article_id} has no split")
    return problems


def agreement(examples: list[Example], second: dict[str, str]) -> dict[str, Any]:
    """Cohen's kappa between the corpus labels and a blind second pass, overall and per label (one vs rest)."""
    from sklearn.metrics import cohen_kappa_score

    by_id = {ex.id: ex.label for ex in examples}
    missing = sorted(set(second) - set(by_id))
    if missing:
        raise InputError(f"second pass has ids not in the corpus: {missing[:5]}. Relabel examples of {GOLD}.")
    ids = sorted(second)
    first, other = [by_id[i] for i in ids], [second[i] for i in ids]
    labels = sorted(set(first) | set(other))
    return {
        "n": len(ids),
        "observed_agreement": sum(a == b for a, b in zip(first, other)) / len(ids),
        "kappa": float(cohen_kappa_score(first, other)),
        "kappa_per_label": {
            lb: float(cohen_kappa_score([a == lb for a in first], [b == lb for b in other])) for lb in labels
        },
        "disagreements": [i for i, a, b in zip(ids, first, other) if a != b],
    }


def first_pass(examples: list[Example], adjudication: Path) -> list[Example]:
    """The corpus as the first annotator labelled it: adjudicated examples get their first-pass label back."""
    if not Path(adjudication).exists():
        return examples
    original = {row["id"]: row["first_pass"] for _, row in read_jsonl_objects(adjudication)}
    return [replace(ex, label=original.get(ex.id, ex.label)) for ex in examples]


def stats_markdown(examples: list[Example], splits: dict[str, str]) -> str:
    """Counts per label by split, domain and attribution kind, as Markdown tables for the data card."""
    labels = sorted({ex.label for ex in examples})
    lines = []
    for name, key in (
        ("split", lambda e: splits[e.article_id]),
        ("domain", lambda e: e.domain),
        ("kind", lambda e: e.kind),
    ):
        table: dict[str, Counter] = defaultdict(Counter)
        articles: dict[str, set] = defaultdict(set)
        for ex in examples:
            table[key(ex)][ex.label] += 1
            articles[key(ex)].add(ex.article_id)
        lines += [f"| {name} | articles | " + " | ".join(labels) + " | total |", "|---" * (len(labels) + 3) + "|"]
        for value in sorted(table):
            counts = table[value]
            cells = " | ".join(str(counts[lb]) for lb in labels)
            lines.append(f"| {value} | {len(articles[value])} | {cells} | {sum(counts.values())} |")
        total = Counter(ex.label for ex in examples)
        n_articles = len({ex.article_id for ex in examples})
        lines += [
            f"| all | {n_articles} | " + " | ".join(str(total[lb]) for lb in labels) + f" | {len(examples)} |",
            "",
        ]
    return "\n".join(lines)


@command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.corpus", description=description(__doc__))
    parser.add_argument("command", choices=["prepare", "check", "assemble", "split", "stats", "agreement"])
    parser.add_argument(
        "--second",
        type=Path,
        default=Path("data/gold/second_pass.jsonl"),
        help="agreement: the blind second pass, lines of {id, label}",
    )
    parser.add_argument(
        "--adjudication",
        type=Path,
        default=Path("data/gold/adjudication.jsonl"),
        help="agreement: resolved disagreements, lines of {id, first_pass, final, reason}",
    )
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--splits", type=Path, default=SPLITS)
    parser.add_argument("--raw", type=Path, default=RAW)
    parser.add_argument("--output", type=Path, default=PROCESSED, help="prepare: output folder")
    parser.add_argument("--seed", type=int, default=2015, help="split: seed for the article shuffle")
    parser.add_argument(
        "--new-to",
        choices=SPLIT_NAMES,
        help="split: keep every article's split and put the articles that have none into this split",
    )
    args = parser.parse_args(argv)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    if args.command == "prepare":
        manifest = prepare(args.gold, args.splits, args.output)
        for name, info in manifest["splits"].items():
            print(f"{name:>5}: {info['examples']:>5} examples from {info['articles']:>3} articles  {info['labels']}")
        return 0
    if args.command == "assemble":
        parts = sorted(args.gold.parent.glob("parts/stance_*.jsonl"))
        articles = load_articles(args.raw)
        examples = assemble(parts, articles)
        write_examples(args.gold, examples)
        print(f"wrote {len(examples)} examples from {len(parts)} part files to {args.gold}")
        attribution_parts = sorted(args.gold.parent.glob("parts/attributions_*.jsonl"))
        rows = assemble_attributions(attribution_parts, articles)
        atomic_write_jsonl(args.gold.parent / "attributions.jsonl", rows)
        n_articles = len({r["article_id"] for r in rows})
        print(f"wrote {len(rows)} attributions in {n_articles} articles to {args.gold.parent / 'attributions.jsonl'}")
        return 0
    examples = read_examples(args.gold, require_label=True)
    if args.command == "stats":
        print(stats_markdown(examples, read_splits(args.splits)))
        return 0
    if args.command == "agreement":
        second = {row["id"]: row["label"] for _, row in read_jsonl_objects(args.second)}
        print(json.dumps(agreement(first_pass(examples, args.adjudication), second), indent=2))
        return 0
    if args.command == "split" and args.new_to:
        return _extend_split_file(args.splits, examples, args.new_to)
    if args.command == "split":
        assignment = draw_splits(examples, seed=args.seed)
        atomic_write_json(
            args.splits,
            {
                "seed": args.seed,
                "method": "article-level, stratified by domain",
                "articles": dict(sorted(assignment.items())),
            },
        )
        print(f"wrote {args.splits}: {Counter(assignment.values())}")
        return 0
    problems = check(examples, load_articles(args.raw), read_splits(args.splits))
    print("\n".join(problems) or f"corpus OK: {len(examples)} examples")
    return 1 if problems else 0


def _extend_split_file(path: Path, examples: list[Example], to: str) -> int:
    data = json.loads(read_text(path))
    before = read_splits(path)
    after = extend_splits(before, examples, to)
    added = sorted(set(after) - set(before))
    if added:
        data.setdefault("extensions", []).append({"to": to, "articles": added})
    data["articles"] = dict(sorted(after.items()))
    atomic_write_json(path, data)
    print(f"wrote {path}: {len(added)} new article(s) to {to}; {Counter(after.values())}")
    return 0
