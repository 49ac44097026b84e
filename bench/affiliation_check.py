"""Speaker affiliation accuracy of the builder against the hand-labelled stance gold.

    python bench/affiliation_check.py [--raw data/raw] [--gold data/gold/stance.jsonl]
        [--splits data/gold/splits.json] [--errors train+dev] [--cache build.jsonl]

Every article of ``--raw`` is built with ``stancelab.build.build_examples``. Each gold example is matched
to a built example of the same article whose speaker ends in the same word (the overlapping one when
there are several); the score is the share of matched gold examples whose affiliation equals the gold
one (case-insensitive, a leading "the " ignored). It is reported for the train+dev articles and for the
test articles separately: develop rules on train+dev errors only (``--errors train+dev``), and read the
test number once at the end.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

GROUPS = {"train+dev": ("train", "dev"), "test": ("test",)}


def norm(affiliation: str) -> str:
    """'The Law and Tradition' and 'law and tradition' compare equal."""
    text = " ".join(affiliation.lower().split())
    return text[4:] if text.startswith("the ") else text


def last_word(speaker: str) -> str:
    words = speaker.lower().replace("’s", "").replace("'s", "").split()
    return words[-1] if words else ""


def built_by_article(raw: Path, cache: Path | None) -> dict[str, list[dict]]:
    """Built examples (as dicts) per article id; read from ``cache`` when it exists, else built (and saved)."""
    if cache is not None and cache.exists():
        rows = [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        from stancelab.build.pipeline import build_examples

        rows = []
        for path in sorted(raw.glob("*.txt")):
            rows += [e.to_dict() for e in build_examples(path.read_text(encoding="utf-8"), path.stem)]
        if cache is not None:
            cache.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = defaultdict(list)
    for row in rows:
        out[row["article_id"]].append(row)
    return out


def match(gold: dict, built: list[dict]) -> dict | None:
    """The built example of the gold speaker: same last word, the one overlapping the gold text first."""
    same = [b for b in built if last_word(b["speaker"]) == last_word(gold["speaker"])]
    overlapping = [b for b in same if b["start"] < gold["end"] and gold["start"] < b["end"]]
    return (overlapping or same or [None])[0]


def score(golds: list[dict], built: dict[str, list[dict]]) -> tuple[int, int, int, list[tuple]]:
    """(correct, matched, gold total, errors) over ``golds``."""
    correct, matched, errors = 0, 0, []
    for gold in golds:
        hit = match(gold, built.get(gold["article_id"], []))
        if hit is None:
            continue
        matched += 1
        if norm(hit["speaker_affiliation"]) == norm(gold["speaker_affiliation"]):
            correct += 1
        else:
            errors.append((gold["article_id"], hit["speaker"], hit["speaker_affiliation"], gold["speaker_affiliation"]))
    return correct, matched, len(golds), errors


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw", type=Path, default=Path("data/raw"))
    parser.add_argument("--gold", type=Path, default=Path("data/gold/stance.jsonl"))
    parser.add_argument("--splits", type=Path, default=Path("data/gold/splits.json"))
    parser.add_argument("--cache", type=Path, default=None, help="jsonl of built examples to reuse or write")
    parser.add_argument("--errors", choices=sorted(GROUPS), default=None, help="list the errors of one group")
    args = parser.parse_args(argv)
    split_of = json.loads(args.splits.read_text(encoding="utf-8"))["articles"]
    golds = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    built = built_by_article(args.raw, args.cache)
    for group, splits in GROUPS.items():
        subset = [g for g in golds if split_of.get(g["article_id"]) in splits]
        correct, matched, total, errors = score(subset, built)
        accuracy = correct / max(matched, 1)
        print(f"{group:10s} affiliation accuracy {accuracy:.3f} ({correct}/{matched} matched, {total} gold)")
        if args.errors == group:
            for article, speaker, predicted, gold in sorted(set(errors)):
                print(f"  {article}  {speaker!r}: predicted {predicted!r}, gold {gold!r}")


if __name__ == "__main__":
    main()
