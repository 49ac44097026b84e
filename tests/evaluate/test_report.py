import json

from stancelab.evaluate.report import normalise_target, slice_metrics, speaker_type


def test_run_report_files(trained_run):
    for name in ("report.md", "confusion_test.png", "reliability_test.png", "errors_test.jsonl", "model/README.md"):
        assert (trained_run / name).is_file(), name
    report = (trained_run / "report.md").read_text()
    assert "95% bootstrap CI" in report and "Against baselines" in report and "### by target" in report
    assert (trained_run / "confusion_test.png").read_bytes()[:4] == b"\x89PNG"


def test_errors_are_misclassified_and_most_confident_first(trained_run):
    errors = [json.loads(line) for line in (trained_run / "errors_test.jsonl").read_text().splitlines()]
    assert all(e["predicted"] != e["label"] for e in errors)
    confidences = [e["confidence"] for e in errors]
    assert confidences == sorted(confidences, reverse=True)


def test_slices_count_every_example_once():
    rows = [
        {
            "label": "support",
            "predicted": "support",
            "kind": "direct",
            "domain": "trade",
            "speaker": "Ana Ruiz",
            "speaker_affiliation": "Spain",
            "target": "The tariff",
        },
        {
            "label": "oppose",
            "predicted": "support",
            "kind": "indirect",
            "domain": "trade",
            "speaker": "the Trade Ministry",
            "speaker_affiliation": "Spain",
            "target": "the levy",
        },
    ]
    slices = slice_metrics(rows, ["support", "oppose"], {normalise_target("the tariff")})
    assert slices["target"]["seen"]["n"] == 1 and slices["target"]["unseen"]["n"] == 1
    assert slices["domain"]["trade"]["accuracy"] == 0.5
    assert {k: v["n"] for k, v in slices["speaker_type"].items()} == {"organisation": 1, "person": 1}
    assert {k: v["n"] for k, v in slices["statement"].items()} == {"unknown": 2}  # rows without text


def test_statement_slice_separates_sentences_with_several_positions():
    def row(article, text, label, predicted):
        return {"article_id": article, "text": text, "label": label, "predicted": predicted, "target": "t"}

    mixed = "Russia opposed the deployment, but added that airstrikes were not enough."
    rows = [
        row("a", mixed, "oppose", "support"),
        row("a", mixed, "conditional", "conditional"),
        row("a", "We back the plan.", "support", "support"),
        row("a", "We back it and the budget.", "support", "support"),
        row("a", "We back it and the budget.", "support", "oppose"),
        row("b", mixed, "support", "support"),  # same words in another article: a statement of its own
    ]
    slices = slice_metrics(rows, ["support", "oppose", "conditional"], set())["statement"]
    assert {k: v["n"] for k, v in slices.items()} == {
        "one target": 2,
        "several targets, mixed labels": 2,
        "several targets, one label": 2,
    }
    assert slices["several targets, mixed labels"]["accuracy"] == 0.5
    assert slices["one target"]["accuracy"] == 1.0


def test_speaker_type():
    assert speaker_type({"speaker": "UNITE", "speaker_affiliation": "UNITE"}) == "organisation"
    assert speaker_type({"speaker": "European Central Bank", "speaker_affiliation": ""}) == "organisation"
    assert speaker_type({"speaker": "Lena Vogt", "speaker_affiliation": "Germany"}) == "person"
