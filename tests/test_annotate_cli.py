"""The loop end to end through ``python -m stancelab.annotate``: export, label, import, retrain."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stancelab.annotate.cli import main
from stancelab.annotate.tasks import LABELS
from stancelab.data.schema import read_examples

FIXTURES = Path(__file__).parent / "fixtures" / "annotate"
CANDIDATES, ARTICLES = str(FIXTURES / "candidates.jsonl"), str(FIXTURES / "articles.jsonl")
GOLD = ["support", "oppose", "none", "conditional", "support", "oppose"]


def label_like_label_studio(tasks: list[dict], labels: list[str], user: int) -> list[dict]:
    """What Label Studio's JSON export adds to imported tasks: ids and annotations with a result."""
    out = []
    for k, (task, label) in enumerate(zip(tasks, labels), start=1):
        result = [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": [label]}}]
        if label == "conditional":
            text, cond = task["data"]["text"], "only if jobs were protected"
            start = text.index(cond)
            result.append({"from_name": "condition", "to_name": "text", "type": "labels",
                           "value": {"start": start, "end": start + len(cond), "text": cond, "labels": ["condition"]}})
        out.append({**task, "id": k, "annotations": [{"id": k, "completed_by": user, "was_cancelled": False,
                                                       "result": result}]})
    return out


def test_config_prints_the_label_studio_xml(capsys):
    assert main(["config", "--format", "label-studio"]) == 0
    assert capsys.readouterr().out.startswith("<View>")


def test_export_import_round_trip_label_studio(tmp_path):
    tasks_path = tmp_path / "tasks.json"
    assert main(["export", "--input", CANDIDATES, "--articles", ARTICLES, "--output", str(tasks_path)]) == 0
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    export = tmp_path / "export.json"
    export.write_text(json.dumps(label_like_label_studio(tasks, GOLD, user=1)), encoding="utf-8")
    out = tmp_path / "labelled.jsonl"
    assert main(["import", "--input", str(export), "--output", str(out), "--articles", ARTICLES]) == 0
    examples = read_examples(out, labels=LABELS, require_label=True)  # the project's schema, none rows kept
    assert [ex.label for ex in examples] == GOLD
    assert (tmp_path / "labelled.rejects.jsonl").read_text(encoding="utf-8") == ""
    assert json.loads((tmp_path / "labelled.agreement.json").read_text())["counts"]["written"] == 6


@pytest.mark.parametrize("fmt, files", [
    ("doccano", ["doccano_alice.jsonl", "doccano_bob.jsonl", "doccano_carol.jsonl"]),
    ("prodigy", ["prodigy_export.jsonl"]),
])
def test_import_of_doccano_and_prodigy_exports(tmp_path, capsys, fmt, files):
    args = ["import", "--output", str(tmp_path / "out.jsonl"), "--format", fmt]
    for name in files:
        args += ["--input", str(FIXTURES / name)]
    assert main(args) == 0
    report = capsys.readouterr().out
    expected = "Fleiss' kappa 0.534 on 6 examples" if fmt == "doccano" else "Cohen's kappa 0.538 on 6 examples"
    assert expected in report
    rejects = (tmp_path / "out.rejects.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(rejects) == (1 if fmt == "prodigy" else 0)  # the ignored Prodigy task is kept, as a reject


def test_import_with_nothing_valid_exits_non_zero(tmp_path, capsys):
    tasks = json.loads((FIXTURES / "label_studio_export_rejects.json").read_text(encoding="utf-8"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tasks[:5]), encoding="utf-8")  # the five rejected rows, without the valid one
    assert main(["import", "--input", str(bad), "--output", str(tmp_path / "out.jsonl")]) == 1
    assert "error: no valid labelled row" in capsys.readouterr().err
    assert len((tmp_path / "out.rejects.jsonl").read_text(encoding="utf-8").splitlines()) == 5


def test_import_names_a_missing_file(tmp_path, capsys):
    assert main(["import", "--input", str(tmp_path / "nope.json"), "--output", str(tmp_path / "o.jsonl")]) == 2
    assert "nope.json: file not found" in capsys.readouterr().err


def test_select_and_export_with_a_model(tmp_path, trained_run):
    batch = tmp_path / "batch.jsonl"
    args = ["select", "--input", CANDIDATES, "--model", str(trained_run), "--n", "3", "--per-article", "1",
            "--output", str(batch)]
    assert main(args) == 0
    rows = [json.loads(line) for line in batch.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3 and {r["article_id"] for r in rows} == {"a1", "a2"}  # cap 1 raised to fill 3 from 2
    assert [r["al_score"] for r in rows[:2]] == sorted((r["al_score"] for r in rows[:2]), reverse=True)
    tasks_path = tmp_path / "tasks.json"
    args = ["export", "--input", CANDIDATES, "--articles", ARTICLES, "--output", str(tasks_path), "--model",
            str(trained_run), "--select", "margin", "--n", "2", "--exclude", str(batch)]
    assert main(args) == 0
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    assert len(tasks) == 2 and not {t["data"]["stancelab_id"] for t in tasks} & {r["id"] for r in rows}
    prediction = tasks[0]["predictions"][0]
    assert prediction["model_version"] == "shared"
    assert prediction["result"][0]["value"]["choices"][0] in ("support", "oppose", "conditional")
    assert tasks[0]["data"]["stancelab"]["al_strategy"] == "margin"


def test_uncertainty_export_without_a_model_is_refused(tmp_path, capsys):
    args = ["export", "--input", CANDIDATES, "--articles", ARTICLES, "--output", str(tmp_path / "t.json"),
            "--select", "uncertainty"]
    assert main(args) == 2
    assert "--select uncertainty needs --model" in capsys.readouterr().err


def test_imported_labels_retrain_with_stancelab_train(tmp_path, tiny_config_file):
    """The README's last step: `python -m stancelab.train` on the imported rows, `none` included."""
    from stancelab.train.cli import main as train_main

    labelled = tmp_path / "labelled.jsonl"
    assert main(["import", "--input", str(FIXTURES / "label_studio_export.json"), "--input",
                 str(FIXTURES / "doccano_carol.jsonl"), "--output", str(labelled)]) == 0
    assert {ex.label for ex in read_examples(labelled, labels=LABELS)} == set(LABELS)
    overrides = [f"data.train={labelled}", "data.labels=[support,oppose,conditional,none]", "train.run_name=annot"]
    assert train_main(["--config", str(tiny_config_file), *overrides]) == 0
    from stancelab.models.spec import ModelSpec

    assert ModelSpec.load(tmp_path / "runs" / "annot" / "model").labels == ["support", "oppose", "conditional", "none"]
    assert (tmp_path / "runs" / "annot" / "metrics.json").is_file()
    shutil.rmtree(tmp_path / "runs")


def test_builder_output_exports_to_valid_label_studio_tasks(tmp_path, nlp):
    """The README's first steps: `python -m stancelab.build` on a folder of articles, then `export`."""
    from stancelab.build.pipeline import main as build_main

    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "budget.txt").write_text(
        "Finance Minister Lena Vogt said she accepts the budget only if parliament approves it. "
        "Opposition leader Karl Berg rejected the budget as reckless.", encoding="utf-8")
    candidates = tmp_path / "candidates.jsonl"
    assert build_main(["--input", str(articles), "--output", str(candidates)]) == 0
    tasks_path = tmp_path / "tasks.json"
    assert main(["export", "--input", str(candidates), "--articles", str(articles), "--output", str(tasks_path)]) == 0
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    assert tasks, "the builder found no statement in the test article"
    article = (articles / "budget.txt").read_text(encoding="utf-8")
    for task in tasks:
        data = task["data"]
        assert data["context_before"] + data["text"] + data["context_after"] in article
        assert data["stancelab"]["content"] in data["text"]  # the builder's own fields travel with the task
