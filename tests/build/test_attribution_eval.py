"""The attribution evaluation: span matching, speaker rule, kinds, CLI and gold errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stancelab.build.attribution_eval import Span, main, match, read_gold, same_speaker, score
from stancelab.data.io import InputError

ARTICLE = (
    "Trade Minister Ana Ruiz said the agreement would double exports within five years.\n\n"
    '"This agreement is good for our farmers," Ruiz said.\n\n'
    "Prices will rise by 3 per cent, according to the farmers' union."
)


pytestmark = pytest.mark.usefixtures("nlp")  # spaCy loaded once, in conftest


def span(start: int, end: int, speaker: str = "A", kind: str = "direct", article: str = "a") -> Span:
    return Span(article, start, end, speaker, kind, "said", "x" * (end - start))


@pytest.mark.parametrize(
    "gold, pred, expected",
    [
        ("Sergey Lavrov", "Lavrov", True),
        ("the Pentagon", "Pentagon", True),
        ("Lavrov's", "sergey lavrov", True),
        ("John Kerry", "Sergey Lavrov", False),
        ("Sergey Lavrov", "Sergey", False),  # a first name is not a token suffix
    ],
)
def test_same_speaker(gold, pred, expected):
    assert same_speaker(gold, pred) is expected


def test_a_prediction_matches_at_most_one_gold_span():
    gold = [span(0, 10), span(12, 20)]
    pred = [span(0, 20)]
    assert match(gold, pred, exact=False) == [(0, 0)]  # the larger overlap wins, the other gold is missed


def test_exact_match_ignores_quote_marks_and_end_punctuation():
    gold = [Span("a", 1, 11, "A", "direct", "said", "We agree,")]
    pred = [Span("a", 1, 10, "A", "direct", "said", "We agree")]
    assert match(gold, pred, exact=True) == [(0, 0)]


def test_score_reports_overlap_exact_speaker_and_kinds():
    gold = [span(0, 10, "Sergey Lavrov"), span(20, 30, "John Kerry", "indirect")]
    pred = [span(2, 10, "Lavrov"), span(40, 50, "Kerry", "indirect")]
    metrics = score(gold, pred)
    assert metrics["overlap"]["precision"] == 0.5 and metrics["overlap"]["recall"] == 0.5
    assert metrics["exact"]["f1"] == 0.0
    assert metrics["speaker_accuracy"] == {"accuracy": 1.0, "n": 1}
    assert metrics["overlap"]["per_kind"]["indirect"]["recall"] == 0.0


def write_case(tmp_path: Path, gold_rows: list[dict]) -> tuple[Path, Path]:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "trade.txt").write_text(ARTICLE, encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(row) + "\n" for row in gold_rows), encoding="utf-8")
    return gold, articles


GOLD = [
    {
        "article_id": "trade",
        "speaker": "Ana Ruiz",
        "cue": "said",
        "kind": "indirect",
        "text": "the agreement would double exports within five years",
    },
    {
        "article_id": "trade",
        "speaker": "Ana Ruiz",
        "cue": "said",
        "kind": "direct",
        "text": "This agreement is good for our farmers,",
    },
    {
        "article_id": "trade",
        "speaker": "the farmers' union",
        "cue": "according to",
        "kind": "indirect",
        "text": "Prices will rise by 3 per cent",
    },
]


def test_cli_writes_metrics(tmp_path, capsys):
    gold, articles = write_case(tmp_path, GOLD)
    out = tmp_path / "metrics.json"
    errors = tmp_path / "errors.jsonl"
    code = main(["--gold", str(gold), "--articles", str(articles), "--output", str(out), "--errors", str(errors)])
    assert code == 0
    metrics = json.loads(out.read_text(encoding="utf-8"))
    assert metrics["exact"]["f1"] == 1.0 and metrics["overlap"]["f1"] == 1.0
    assert metrics["speaker_accuracy"]["accuracy"] == 1.0
    # the gold has no according-to kind, so a predicted according-to counts as indirect
    assert metrics["according_to"] == "auto" and metrics["kind_accuracy"]["accuracy"] == 1.0
    assert errors.read_text(encoding="utf-8") == ""
    assert "overlap" in capsys.readouterr().out


def test_according_to_kind_is_kept_when_the_gold_uses_it(tmp_path):
    rows = [dict(GOLD[2], kind="according-to")]
    gold, articles = write_case(tmp_path, rows)
    out = tmp_path / "metrics.json"
    main(["--gold", str(gold), "--articles", str(articles), "--output", str(out)])
    metrics = json.loads(out.read_text(encoding="utf-8"))
    assert metrics["according_to"] == "keep"
    assert metrics["overlap"]["per_kind"]["according-to"]["recall"] == 1.0


def test_gold_text_not_in_the_article_is_counted(tmp_path):
    gold, articles = write_case(tmp_path, [dict(GOLD[0], text="words that are not there")])
    out = tmp_path / "metrics.json"
    main(["--gold", str(gold), "--articles", str(articles), "--output", str(out)])
    assert json.loads(out.read_text(encoding="utf-8"))["gold_not_found"] == 1


def test_gold_line_missing_a_field(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"article_id": "a", "speaker": "X", "text": "t"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"gold.jsonl:1: expected string fields .*missing or not a string: kind"):
        read_gold(str(gold))


def test_cli_per_rule_report(tmp_path, capsys):
    gold, articles = write_case(tmp_path, GOLD)
    out = tmp_path / "metrics.json"
    args = ["--gold", str(gold), "--articles", str(articles), "--output", str(out), "--per-rule", "speech-verb"]
    assert main(args) == 0
    rules = json.loads(out.read_text(encoding="utf-8"))["rules"]
    assert set(rules["without"]) == {"speech-verb"}
    # the two said-statements go with the speech-verb rule; the according-to statement stays
    assert rules["statements_per_rule"] == {"according-to": 1, "speech-verb": 2}
    # without it the quote falls back on the previous sentence's subject (Ruiz); the reported clause is lost
    assert rules["without"]["speech-verb"]["n_pred"] == 2
    assert "switched off" in capsys.readouterr().out
