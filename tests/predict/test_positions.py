import numpy as np
import pytest

from stancelab.build.attribution.extractor import Statement
from stancelab.data.io import read_text
from stancelab.data.schema import Example
from stancelab.predict.positions import (
    StatementCandidates,
    actor_of,
    article_candidates,
    candidate_rows,
    cluster_issues,
    find_condition,
    issue_key,
    statement_positions,
    statement_rows,
    token_jaccard,
    unique_rows,
)

SEED = "data/raw/000_ed3b50a90a3882e0.txt"


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("We back the deal, but only if jobs are protected, she said.", "only if jobs are protected"),
        ("The union will call off the strike provided the bonus is restored.", "provided the bonus is restored"),
        ("“We agree, but we don’t have a common approach on how this can be done,” he said.",
         "but we don’t have a common approach on how this can be done"),
        ("Tokyo said it would impose duties unless Washington withdrew the tariffs.",
         "unless Washington withdrew the tariffs"),
    ],
)
def test_find_condition_returns_the_conditioning_clause(text, condition):
    start, end = find_condition(text)
    assert text[start:end] == condition


def test_find_condition_prefers_an_explicit_condition_over_but():
    text = "He welcomed the plan, but said he would sign it only if the levy was dropped."
    start, end = find_condition(text)
    assert text[start:end] == "only if the levy was dropped"


def test_find_condition_none_without_a_marker():
    assert find_condition("The minister praised the agreement.") is None


@pytest.mark.parametrize(
    ("speaker", "affiliation", "actor"),
    [
        ("Sergey Lavrov", "Russia", "Russia"),
        ("Washington", "", "United States"),
        ("the Russian Foreign Ministry", "", "Russia"),
        ("Tim Cook", "Apple", "Apple"),
        ("a spokesman", "the U.S. State Department", "United States"),
        ("Greenpeace", "", "Greenpeace"),
    ],
)
def test_actor_of(speaker, affiliation, actor):
    assert actor_of(speaker, affiliation) == actor


def test_issue_key_strips_determiners():
    assert issue_key("a levy") == issue_key("The levy") == "levy"


def _fake_embed(texts):
    """Unit vectors that put the levy mentions together and oil apart (no model needed)."""
    vecs = np.array([[1.0, 0.1] if "levy" in t else [0.0, 1.0] for t in texts])
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def test_cluster_issues_groups_mentions_and_names_them():
    labels, names = cluster_issues(["a levy", "the levy", "the drinks levy", "oil prices"], embed=_fake_embed)
    assert labels[0] == labels[1] == labels[2] != labels[3]
    assert names[labels[0]] == "the levy"
    assert names[labels[3]] == "oil prices"


def test_cluster_issues_empty_and_single():
    assert cluster_issues([]) == ([], [])
    assert cluster_issues(["a levy", "the levy"], embed=_fake_embed) == ([0, 0], ["the levy"])


def _statement(text="Lavrov said Russia opposed the strikes.", speaker="Sergey Lavrov"):
    return Statement(speaker=speaker, speaker_affiliation="Russia", cue="said", kind="indirect", content=text,
                     content_start=0, content_end=len(text), sentence=text, sentence_start=10,
                     sentence_end=10 + len(text))


def _result(none, support=0.0, oppose=0.0, conditional=0.0):
    rest = 1.0 - none
    total = support + oppose + conditional or 1.0
    return {"probs": {"support": rest * support / total, "oppose": rest * oppose / total,
                      "conditional": rest * conditional / total, "none": none}}


def test_statement_positions_keeps_the_candidate_with_a_position():
    item = StatementCandidates(_statement(), ["Russia", "the strikes"])
    rows = statement_positions(item, [_result(0.9, support=1), _result(0.1, oppose=1)], "none", 0.5)
    assert [(r["target"], r["label"], r["actor"]) for r in rows] == [("the strikes", "oppose", "Russia")]
    assert rows[0]["p_position"] == pytest.approx(0.9)


def test_statement_positions_drops_a_statement_without_position_unless_asked():
    item = StatementCandidates(_statement(), ["the meeting"])
    assert statement_positions(item, [_result(0.8, support=1)], "none", 0.5) == []
    kept = statement_positions(item, [_result(0.8, support=1)], "none", 0.5, include_none=True)
    assert [r["label"] for r in kept] == ["none"]


def test_statement_positions_second_position_must_be_confident_and_distinct():
    item = StatementCandidates(_statement(), ["the strikes", "the U.S. strikes", "the deployment"])
    results = [_result(0.05, oppose=1), _result(0.1, oppose=1), _result(0.2, support=1)]
    rows = statement_positions(item, results, "none", 0.5)
    assert [r["target"] for r in rows] == ["the strikes", "the deployment"]


def test_statement_row_gates_the_statement():
    item = StatementCandidates(_statement(), ["the strikes", "Russia"])
    results = [_result(0.3, oppose=1), _result(0.6, support=1)]
    assert statement_positions(item, results, "none", 0.5, statement=_result(0.7, oppose=1),
                               statement_threshold=0.5) == []
    kept = statement_positions(item, results, "none", 0.5, include_none=True, statement=_result(0.7, oppose=1),
                               statement_threshold=0.5)
    assert [(r["target"], r["label"]) for r in kept] == [("the strikes", "none")]


def test_statement_with_a_position_keeps_its_best_candidate_and_blends_the_label():
    item = StatementCandidates(_statement(), ["the strikes", "Russia"])
    # every candidate looks like "none" on its own, but the statement row says the statement takes a position
    results = [_result(0.97, support=0.4, oppose=0.6), _result(0.99, support=1)]
    (row,) = statement_positions(item, results, "none", 0.95, statement=_result(0.1, support=0.1, oppose=0.9),
                                 statement_threshold=0.5)
    assert (row["target"], row["label"]) == ("the strikes", "oppose")
    flipped = statement_positions(item, results, "none", 0.95, statement=_result(0.1, support=1),
                                  statement_threshold=0.5)
    assert [r["label"] for r in flipped] == ["support"]  # the statement's stance outweighs the candidate's


def _gold(id_, label, start=0, target="the deal", **meta):
    return Example(id=id_, article_id="a1", speaker="Lavrov", speaker_affiliation="Russia", target=target,
                   text="Lavrov said he opposed the deal.", start=start, end=start + 32, label=label, meta=meta)


def test_statement_rows_one_row_per_statement_with_an_empty_target():
    rows = statement_rows([
        _gold("p1", "oppose"), _gold("p2", "conditional", target="talks"), _gold("p3", "conditional", target="x"),
        _gold("c1", "none", candidate=True), _gold("n1", "none", start=50),
    ])
    assert [(ex.id, ex.target, ex.label) for ex in rows] == [("p1-s", "", "conditional"), ("n1-s", "", "none")]
    assert all(ex.meta["statement"] for ex in rows)


def test_statement_rows_break_ties_towards_conditional_then_oppose():
    rows = statement_rows([_gold("p1", "support"), _gold("p2", "oppose", target="talks")])
    assert [ex.label for ex in rows] == ["oppose"]


def test_conditional_position_carries_its_condition_with_article_offsets():
    text = "Berg said he would back the merger only if jobs were protected."
    item = StatementCandidates(_statement(text, "Karl Berg"), ["the merger"])
    (row,) = statement_positions(item, [_result(0.1, conditional=1)], "none", 0.5)
    assert row["condition"] == "only if jobs were protected"
    article = " " * 10 + text
    assert article[row["condition_start"] : row["condition_end"]] == row["condition"]


def test_relayed_position_belongs_to_its_holder():
    item = StatementCandidates(_statement(), ["a single front"], holder="Vladimir Putin", holder_affiliation="Russia")
    (row,) = statement_positions(item, [_result(0.1, support=1)], "none", 0.5)
    assert (row["speaker"], row["relayed_by"], row["actor"]) == ("Vladimir Putin", "Sergey Lavrov", "Russia")


def test_unique_rows_drops_split_quote_duplicates():
    row = {"start": 0, "end": 5, "speaker": "A", "target": "The levy"}
    assert unique_rows([row, {**row, "target": "the levy"}]) == [row]


def test_candidate_rows_adds_matching_span_and_a_negative():
    gold = [Example(id="g1", article_id="a", speaker="Sergey Lavrov", speaker_affiliation="Russia",
                    target="U.S. airstrikes in Syria", text="t", start=0, end=1, label="oppose")]
    rows = candidate_rows(gold, ["ongoing U.S. airstrikes in Syria", "the press conference"])
    assert [(r.target, r.label) for r in rows] == [("ongoing U.S. airstrikes in Syria", "oppose"),
                                                   ("the press conference", "none")]


def test_token_jaccard_ignores_determiners():
    assert token_jaccard("the levy", "a levy") == 1.0
    assert token_jaccard("the levy", "oil prices") == 0.0


def test_seed_article_relays_putin_through_lavrov(nlp):
    items, _ = article_candidates(read_text(SEED))
    relayed = [it for it in items if it.holder]
    assert [(it.holder, it.holder_affiliation, it.statement.speaker) for it in relayed] == [
        ("Vladimir Putin", "Russia", "Sergey Lavrov")
    ]
    assert any("single front" in c for c in relayed[0].candidates)
