import json

from stancelab.evaluate.evaluation import main

from conftest import example_rows, write_jsonl


def test_cli_prints_table_and_writes_metrics(trained_run, tmp_path, capsys):
    data = write_jsonl(tmp_path / "labelled.jsonl", example_rows("x"))
    assert main(["--model", str(trained_run), "--data", str(data), "--output", str(tmp_path / "eval")]) == 0
    out = capsys.readouterr().out
    assert "accuracy=" in out and "macro-F1=" in out and "confusion matrix" in out
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert {"accuracy", "macro_f1", "per_class"} <= set(metrics)
    assert sum(row["support"] for row in metrics["per_class"].values()) == 9
    assert len((tmp_path / "eval" / "predictions.jsonl").read_text().splitlines()) == 9


def test_evaluate_model_dir_equals_run_dir(trained_run, tmp_path, capsys):
    data = write_jsonl(tmp_path / "labelled.jsonl", example_rows("x"))
    main(["--model", str(trained_run), "--data", str(data), "--output", str(tmp_path / "a")])
    main(["--model", str(trained_run / "model"), "--data", str(data), "--output", str(tmp_path / "b")])
    a, b = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in "ab")
    assert a["macro_f1"] == b["macro_f1"]


def test_unlabelled_data_is_an_error(trained_run, tmp_path, capsys):
    rows = example_rows("x")
    del rows[4]["label"]
    data = write_jsonl(tmp_path / "labelled.jsonl", rows)
    assert main(["--model", str(trained_run), "--data", str(data)]) == 2
    assert "labelled.jsonl:5: missing field 'label'" in capsys.readouterr().err


def test_not_a_model_directory(tmp_path, capsys):
    data = write_jsonl(tmp_path / "labelled.jsonl", example_rows("x"))
    assert main(["--model", str(tmp_path), "--data", str(data)]) == 2
    assert "expected a stancelab model directory" in capsys.readouterr().err
