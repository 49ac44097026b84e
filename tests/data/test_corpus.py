"""The corpus tools, on fixtures, and guards on the committed hand-labelled corpus."""

import json
from collections import Counter
from pathlib import Path

import pytest

from stancelab.data.corpus import (
    GOLD,
    RAW,
    SPLITS,
    assemble,
    check,
    draw_splits,
    extend_splits,
    load_articles,
    partition,
    read_splits,
)
from stancelab.data.io import InputError
from stancelab.data.schema import coerce_examples, read_examples

from conftest import example_rows, write_jsonl

ROOT = Path(__file__).parents[2]


def _part(tmp_path, rows):
    return write_jsonl(tmp_path / "stance_x.jsonl", rows)


def test_assemble_adds_ids_and_offsets(tmp_path):
    articles = {"a1": "Headline\n\nThe union said it backed the deal. Later, it said more."}
    row = {
        "article_id": "a1",
        "speaker": "the union",
        "speaker_affiliation": "",
        "target": "the deal",
        "text": "The union said it backed the deal.",
        "label": "support",
        "kind": "indirect",
        "domain": "labour",
    }
    (example,) = assemble([_part(tmp_path, [row])], articles)
    assert example.id == "a1-001"
    assert articles["a1"][example.start : example.end] == row["text"]


def test_assemble_rejects_text_not_in_article(tmp_path):
    row = {
        "article_id": "a1",
        "speaker": "x",
        "speaker_affiliation": "",
        "target": "t",
        "text": "not there",
        "label": "support",
    }
    with pytest.raises(InputError, match=r"stance_x.jsonl:1: 'text' is not a verbatim substring of article a1"):
        assemble([_part(tmp_path, [row])], {"a1": "Something else."})


def test_draw_splits_is_by_article_and_covers_domains():
    from stancelab.data.schema import Example

    examples = [
        Example(
            id=f"{d}{a}-{i}",
            article_id=f"{d}{a}",
            speaker="s",
            speaker_affiliation="",
            target="t",
            text="x",
            label="support",
            domain=d,
        )
        for d in "abcd"
        for a in range(5)
        for i in range(3)
    ]
    splits = draw_splits(examples, seed=1)
    assert splits == draw_splits(examples, seed=1)
    assert Counter(splits.values()) == {"test": 5, "dev": 3, "train": 12}
    assert {a[0] for a, s in splits.items() if s == "test"} == set("abcd")
    parts = partition(examples, splits)
    assert sum(map(len, parts.values())) == len(examples)


# ---- guards on the committed corpus -------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus():
    return read_examples(ROOT / GOLD, require_label=True), load_articles(ROOT / RAW), read_splits(ROOT / SPLITS)


def test_corpus_offsets_duplicates_and_splits_are_clean(corpus):
    examples, articles, splits = corpus
    assert check(examples, articles, splits) == []


def test_corpus_size_and_label_balance(corpus):
    examples, _, _ = corpus
    counts = Counter(ex.label for ex in examples)
    assert len(examples) >= 1000
    assert min(counts.values()) / len(examples) >= 0.25, counts


def test_no_article_in_two_splits_and_test_is_large_enough(corpus):
    examples, _, splits = corpus
    parts = partition(examples, splits)
    articles = {name: {ex.article_id for ex in items} for name, items in parts.items()}
    assert not (
        articles["train"] & articles["dev"]
        or articles["train"] & articles["test"]
        or articles["dev"] & articles["test"]
    )
    assert len(parts["test"]) >= 250 and len(articles["test"]) >= 20


def test_every_example_records_kind_and_domain(corpus):
    examples, _, _ = corpus
    assert all(ex.kind in ("direct", "indirect", "mixed", "according-to") for ex in examples)
    assert all(ex.domain for ex in examples)


def test_seed_article_positions_are_labelled(corpus):
    examples, _, _ = corpus
    seed = {(ex.target, ex.label) for ex in examples if ex.article_id == "000_ed3b50a90a3882e0"}
    assert ("U.S. airstrikes in Syria", "oppose") in seed
    assert ("joint efforts against Daesh", "conditional") in seed
    assert ("the deployment of U.S.-trained forces in Syria", "oppose") in seed


def test_extend_splits_adds_new_articles_and_moves_none():
    examples = coerce_examples(example_rows("a") + example_rows("b"))
    fixed = {ex.article_id: "test" for ex in examples if ex.article_id.startswith("a")}
    extended = extend_splits(fixed, examples, "train")
    assert {a: s for a, s in extended.items() if a in fixed} == fixed
    assert {s for a, s in extended.items() if a not in fixed} == {"train"} and len(extended) > len(fixed)
    with pytest.raises(InputError, match="one of train, dev, test, found 'holdout'"):
        extend_splits(fixed, examples, "holdout")


def test_splits_file_is_documented_and_fixed():
    data = json.loads((ROOT / SPLITS).read_text())
    assert data["method"] and isinstance(data["seed"], int)
