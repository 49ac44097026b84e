"""Every command-line entry point answers --help and exits 2 with a message on bad input."""

import importlib

import pytest

COMMANDS = ["build", "corpus", "train", "evaluate", "predict", "baselines", "compare", "crossval", "attribution_eval"]


@pytest.mark.parametrize("name", COMMANDS)
def test_help(name, capsys):
    module = importlib.import_module(f"stancelab.{name}")
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    assert f"python -m stancelab.{name}" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["train", "baselines", "crossval"])
def test_missing_config_file_is_a_clear_error(name, tmp_path, capsys):
    module = importlib.import_module(f"stancelab.{name}")
    assert module.main(["--config", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: file not found" in capsys.readouterr().err


def test_corpus_prepare_writes_splits(tmp_path, capsys):
    from pathlib import Path

    from stancelab.corpus import main

    root = Path(__file__).parents[1]
    args = [
        "prepare",
        "--gold",
        str(root / "data/gold/stance.jsonl"),
        "--splits",
        str(root / "data/gold/splits.json"),
        "--output",
        str(tmp_path),
    ]
    assert main(args) == 0
    assert {p.name for p in tmp_path.iterdir()} == {"train.jsonl", "dev.jsonl", "test.jsonl", "manifest.json"}
    assert "test:" in capsys.readouterr().out
