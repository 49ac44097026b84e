import json
from pathlib import Path

import pytest

from stancelab.data.io import InputError
from stancelab.data.realnews import (
    agreement,
    apply_adjudication,
    assemble_positions,
    check_positions,
    disagreements,
    label_table,
    load_article_texts,
    pair_passes,
    read_held,
    read_positions,
    read_splits,
    select_articles,
    split_by_story,
    story_groups,
)

ARTICLE = "Ruiz backed the deal. Berg said he would sign only if jobs stay. Sales rose 5 pct, Lee said."
def _statement(k: int, text: str, speaker: str, target: str) -> dict:
    start = ARTICLE.index(text)
    return {"sid": f"x-1:S{k}", "article_id": "x-1", "start": start, "end": start + len(text), "text": text,
            "kind": "indirect", "cue": "said", "speaker": speaker, "speaker_affiliation": "",
            "builder_targets": [target]}


STATEMENTS = {
    s["sid"]: s
    for s in (
        _statement(1, "Ruiz backed the deal.", "Ana Ruiz", "the deal"),
        _statement(2, "Berg said he would sign only if jobs stay.", "Karl Berg", "the deal"),
        _statement(3, "Sales rose 5 pct, Lee said.", "Lee", "Sales"),
    )
}
ARTICLES = {"x-1": {"id": "x-1", "text": ARTICLE}}


def _pos(speaker, target, label, condition=""):
    return {"speaker": speaker, "speaker_affiliation": "", "target": target, "label": label, "condition": condition}


def _part(tmp_path: Path, name: str, rows: list[dict]) -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


FIRST = [
    {"sid": "x-1:S1", "positions": [_pos("Ana Ruiz", "the deal", "support")]},
    {"sid": "x-1:S2", "positions": [_pos("Karl Berg", "the deal", "conditional", "only if jobs stay")]},
    {"sid": "x-1:S3", "positions": [], "none_reason": "fact"},
]


def test_statements_are_exact_substrings():
    for s in STATEMENTS.values():
        assert ARTICLE[s["start"] : s["end"]] == s["text"]


def test_assemble_positions_offsets_conditions_and_none(tmp_path):
    rows = assemble_positions([_part(tmp_path, "first_a.jsonl", FIRST)], STATEMENTS, ARTICLES)
    assert [(r.id, r.label) for r in rows] == [("x-1-001", "support"), ("x-1-002", "conditional"), ("x-1-003", "none")]
    cond = rows[1]
    assert ARTICLE[cond.meta["condition_start"] : cond.meta["condition_end"]] == "only if jobs stay"
    assert rows[2].target == "Sales" and rows[2].meta["none_reason"] == "fact"


def test_assemble_rejects_a_partly_labelled_article(tmp_path):
    with pytest.raises(InputError, match=r"annotated completely, but 1 statement\(s\)"):
        assemble_positions([_part(tmp_path, "first_a.jsonl", FIRST[:2])], STATEMENTS, ARTICLES)


def test_assemble_rejects_a_condition_not_in_the_text(tmp_path):
    bad = [FIRST[0], {"sid": "x-1:S2", "positions": [_pos("Karl Berg", "the deal", "conditional", "if ever")]},
           FIRST[2]]
    with pytest.raises(InputError, match="a conditional needs 'condition'"):
        assemble_positions([_part(tmp_path, "first_a.jsonl", bad)], STATEMENTS, ARTICLES)


def test_assemble_added_statement_must_be_verbatim(tmp_path):
    added = {"sid": "x-1:A1", "article_id": "x-1", "text": "Ruiz backed the deal.", "kind": "indirect",
             "positions": [_pos("Ana Ruiz", "the deal", "support")]}
    rows = assemble_positions([_part(tmp_path, "first_a.jsonl", [*FIRST, added])], STATEMENTS, ARTICLES)
    (added_row,) = [r for r in rows if r.meta.get("added")]
    assert added_row.start == 0 and added_row.meta["statement_id"] == "x-1:A1"
    with pytest.raises(InputError, match="verbatim substring"):
        assemble_positions([_part(tmp_path, "first_b.jsonl", [*FIRST, {**added, "text": "Ruiz loved it."}])],
                           STATEMENTS, ARTICLES)


def test_agreement_and_adjudication(tmp_path):
    second_rows = [FIRST[0], {"sid": "x-1:S2", "positions": [_pos("Karl Berg", "the deal", "support")]}, FIRST[2]]
    first = assemble_positions([_part(tmp_path, "first_a.jsonl", FIRST)], STATEMENTS, ARTICLES)
    second = assemble_positions([_part(tmp_path, "second.jsonl", second_rows)], STATEMENTS, ARTICLES)
    pairs = pair_passes(first, second)
    result = agreement(pairs)
    assert result["pairs"] == 3 and result["observed"] == pytest.approx(2 / 3)
    (row,) = disagreements(pairs)
    assert row["first"]["label"] == "conditional" and row["second"]["label"] == "support"
    decided = apply_adjudication(first, [{**row, "decision": "support"}])
    assert [r.label for r in decided] == ["support", "support", "none"]
    assert "condition_start" not in decided[1].meta


def test_story_groups_join_near_duplicates():
    stories = story_groups(["a", "b", "c"], ["the drinks levy rises", "the drinks levy rises today", "oil fell"])
    assert stories == {"a": "a", "b": "a", "c": "c"}


def test_select_articles_one_per_story_within_bounds():
    counts = {"fnc-1": 8, "fnc-2": 6, "fnc-3": 40, "reuters-1": 7, "reuters-2": 3}
    stories = {"fnc-1": "s1", "fnc-2": "s1", "fnc-3": "s3", "reuters-1": "r1", "reuters-2": "r2"}
    assert select_articles(counts, stories, {"fnc": 5, "reuters": 5}) == ["fnc-1", "reuters-1"]


def test_split_by_story_keeps_stories_whole():
    ids = [f"fnc-{i}" for i in range(40)]
    stories = {a: f"s{i // 2}" for i, a in enumerate(ids)}
    split = split_by_story(ids, stories, {"test": 10, "dev": 6}, seed=1)
    for story in set(stories.values()):
        assert len({split[a] for a in ids if stories[a] == story}) == 1
    assert sum(v == "test" for v in split.values()) == 10


# --- the committed real-news data ---------------------------------------------------------------


@pytest.fixture(scope="module")
def committed():
    return read_positions(), load_article_texts(), *read_splits()


def test_committed_data_passes_every_check(committed):
    positions, articles, splits, stories = committed
    held = read_held(Path("../shared/realnews"))
    assert check_positions(positions, articles, splits, stories, held) == []


def test_committed_data_has_no_held_for_dev_article(committed):
    held_file = Path("../shared/realnews/held_for_dev.txt")
    if not held_file.exists():
        pytest.skip("the shared real-news folder is not beside the checkout")
    assert not set(committed[1]) & read_held(held_file.parent)


def test_committed_data_size_and_balance(committed):
    positions, _, splits, _ = committed
    table = {(r["split"], r["source"]): r for r in label_table(positions, splits)}
    assert table[("all", "all")]["positions"] >= 2500
    assert table[("all", "all")]["articles"] >= 350
    assert table[("test", "all")]["positions"] >= 500 and table[("test", "all")]["articles"] >= 60
    assert table[("all", "fnc")]["positions"] > 0 and table[("all", "reuters")]["positions"] > 0
    for label in ("support", "oppose"):
        assert table[("all", "all")][label] >= 0.2 * table[("all", "all")]["positions"]
