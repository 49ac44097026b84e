"""Finished runs side by side."""

from stancelab.evaluate.compare import format_rows, main, metrics_row


def test_metrics_row_and_markdown_table():
    per_class = {"oppose": {"f1": 0.75}}
    metrics = {"n": 9, "macro_f1": 0.8123, "accuracy": 0.9, "macro_f1_ci": [0.7, 0.9], "per_class": per_class}
    row = {"run": "runs/a", **metrics_row(metrics)}
    table = format_rows([row], markdown=True)
    assert table.splitlines()[0].startswith("| run") and "runs/a" in table and "0.812" in table


def test_compare_tabulates_runs(trained_run, capsys, tmp_path):
    assert main([str(trained_run), str(trained_run), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.count(str(trained_run)) == 2 and "macro_f1" in out
    assert main([str(tmp_path)]) == 2
    assert "expected a finished run directory with metrics.json" in capsys.readouterr().err
