import json

import pytest

from stancelab.data.io import InputError
from stancelab.evaluate.articles import (
    _keep_split,
    condition_f1,
    format_markdown,
    is_anonymous,
    issue_pairs,
    match_article,
    same_speaker,
    score_articles,
)


def _row(speaker, target, label, start=0, end=10, **extra):
    return {"speaker": speaker, "target": target, "label": label, "start": start, "end": end,
            "speaker_affiliation": extra.pop("speaker_affiliation", ""), **extra}


@pytest.mark.parametrize(("a", "b", "same"), [("Sergey Lavrov", "Lavrov", True), ("the ministry", "Ministry", True),
                                              ("Sergey Lavrov", "John Kerry", False), ("", "Kerry", False)])
def test_same_speaker(a, b, same):
    assert same_speaker(a, b) is same


def test_is_anonymous():
    assert is_anonymous("analysts") and is_anonymous("a senior official") and not is_anonymous("Greenpeace")


def test_match_article_is_one_to_one_and_prefers_the_right_label():
    gold = [_row("Sergey Lavrov", "U.S. airstrikes in Syria", "oppose")]
    predicted = [_row("Lavrov", "Syria", "support"), _row("Lavrov", "the airstrikes", "oppose", 5, 20)]
    (pair,) = match_article(gold, predicted)
    assert pair[1]["label"] == "oppose"


def test_match_article_needs_overlap_and_speaker():
    gold = [_row("Sergey Lavrov", "x", "oppose", 0, 10)]
    assert match_article(gold, [_row("Lavrov", "x", "oppose", 10, 20)]) == []
    assert match_article(gold, [_row("John Kerry", "x", "oppose", 0, 10)]) == []


def test_score_articles_recall_precision_and_actor():
    gold = {"fnc-1": [_row("Sergey Lavrov", "the airstrikes", "oppose", speaker_affiliation="Russia"),
                      _row("John Kerry", "talks", "support", 20, 30),
                      _row("Lee", "Sales", "none", 40, 50)]}
    predicted = {"fnc-1": [_row("Lavrov", "the airstrikes", "oppose", actor="Russia"),
                           _row("Kerry", "talks", "oppose", 20, 30, actor="Kerry"),
                           _row("Lee", "Sales", "support", 40, 50, actor="Lee")]}
    metrics = score_articles(gold, predicted, {"fnc-1": "fnc"})
    m = metrics["all"]
    assert (m["gold_positions"], m["predicted_rows"]) == (2, 3)
    assert m["recall_found"] == 1.0 and m["recall_label"] == 0.5
    assert m["precision"] == pytest.approx(0.6667, abs=1e-4) and m["precision_label"] == pytest.approx(0.3333, abs=1e-4)
    assert m["actor_accuracy"] == 0.5  # Lavrov -> Russia matches; gold "John Kerry" is not the predicted "Kerry"
    assert "| fnc |" in format_markdown(metrics, "t")


def test_condition_f1_token_overlap():
    gold = {"condition_start": 10, "condition_end": 30}
    assert condition_f1(gold, {"label": "conditional", "condition_start": 10, "condition_end": 30}) == 1.0
    half = {"label": "conditional", "condition_start": 20, "condition_end": 30}
    assert condition_f1(gold, half) == pytest.approx(2 / 3)
    assert condition_f1(gold, {"label": "support", "condition_start": None, "condition_end": None}) == 0.0


def test_issue_pairs_counts_against_identical_gold_targets(monkeypatch):
    import stancelab.evaluate.articles as ea

    monkeypatch.setattr(ea, "cluster_issues", lambda mentions: ([0, 0, 1], ["a", "b"]))
    positions = [_row("A", "the levy", "oppose"), _row("B", "the levy", "support"), _row("C", "oil", "support")]
    assert issue_pairs(positions) == (1, 0, 0)


def test_keep_split_reads_both_splits_files(tmp_path):
    gold = {"a1": [{"label": "support"}], "a2": [{"label": "oppose"}]}
    plain = tmp_path / "gold_splits.json"  # data/gold/splits.json: article -> split
    plain.write_text(json.dumps({"articles": {"a1": "test", "a2": "train"}}))
    nested = tmp_path / "realnews_splits.json"  # data/realnews/splits.json: article -> {"split", "story"}
    nested.write_text(json.dumps({"articles": {"a1": {"split": "train"}, "a2": {"split": "test", "story": "s"}}}))
    assert list(_keep_split(gold, str(plain), "test")) == ["a1"]
    assert list(_keep_split(gold, str(nested), "test")) == ["a2"]
    with pytest.raises(InputError, match="--split needs --splits"):
        _keep_split(gold, None, "test")
