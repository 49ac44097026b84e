"""Every command-line entry point answers --help and exits 2 with a message on bad input."""

import importlib
import runpy
import subprocess
import sys
import warnings

import pytest

from stancelab.cli import description

# `python -m stancelab.<command>` -> the module whose main() it runs
COMMANDS = {
    "build": "stancelab.build.pipeline",
    "corpus": "stancelab.data.corpus",
    "train": "stancelab.train.cli",
    "evaluate": "stancelab.evaluate.evaluation",
    "predict": "stancelab.predict.cli",
    "baselines": "stancelab.evaluate.baselines",
    "compare": "stancelab.evaluate.compare",
    "crossval": "stancelab.experiments.crossval",
    "attribution_eval": "stancelab.build.attribution_eval",
    "experiments": "stancelab.experiments.cli",
    "realnews": "stancelab.data.realnews",
    "positions": "stancelab.predict.positions",
    "distill": "stancelab.train.distill",
    "encoders": "stancelab.models.encoders",
    "evaluate_articles": "stancelab.evaluate.articles",
    "annotate": "stancelab.annotate.cli",
    "analyze": "stancelab.analyze.cli",
}


@pytest.mark.parametrize("name", COMMANDS)
def test_help(name, capsys):
    module = importlib.import_module(COMMANDS[name])
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    assert f"python -m stancelab.{name}" in capsys.readouterr().out


@pytest.mark.parametrize("name", COMMANDS)
def test_help_is_plain_text_and_whole_sentences(name, capsys):
    module = importlib.import_module(COMMANDS[name])
    with pytest.raises(SystemExit):
        module.main(["--help"])
    out = capsys.readouterr().out
    assert "``" not in out, "reST markup in --help; build the description with stancelab.cli.description"
    about = out.split("\n\n")[1]  # argparse: usage, blank line, description, blank line, options
    assert about.rstrip().endswith((".", ")", ":")), f"--help description stops mid-sentence: {about!r}"


def test_description_is_the_docstrings_first_paragraph_without_markup():
    doc = """Label examples with ``predict()``: a JSONL file
    of examples, or one article.

    More detail that --help leaves out.
    """
    assert description(doc) == "Label examples with predict(): a JSONL file of examples, or one article."


@pytest.mark.parametrize("name", COMMANDS)
def test_python_dash_m_runs_the_command(name, capsys, monkeypatch):
    """What `python -m stancelab.<name> --help` runs: the package's __main__ or the thin entry module."""
    monkeypatch.setattr(sys, "argv", [name, "--help"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # e.g. "found in sys.modules after import of package"
        with pytest.raises(SystemExit) as exit_info:
            runpy.run_module(f"stancelab.{name}", run_name="__main__", alter_sys=True)
    assert exit_info.value.code == 0
    assert f"python -m stancelab.{name}" in capsys.readouterr().out


def test_python_dash_m_predict_prints_no_runtime_warning():
    """The package __init__ imports stancelab.predict; running it with -m must not warn about that."""
    done = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-m", "stancelab.predict", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "RuntimeWarning" not in done.stderr and "usage: python -m stancelab.predict" in done.stdout


@pytest.mark.parametrize("name", ["train", "baselines", "crossval"])
def test_missing_config_file_is_a_clear_error(name, tmp_path, capsys):
    module = importlib.import_module(COMMANDS[name])
    assert module.main(["--config", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: file not found" in capsys.readouterr().err


def test_corpus_prepare_writes_splits(tmp_path, capsys):
    from pathlib import Path

    from stancelab.data.corpus import main

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


def test_progress_bar_only_on_a_terminal_and_never_when_quiet(monkeypatch, capsys):
    from stancelab.cli import progress

    assert list(progress(range(3), quiet=True)) == [0, 1, 2]
    assert progress(range(3)).disable  # stderr is captured here, not a terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert not progress(range(3)).disable
    assert progress(range(3), quiet=True).disable


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("evaluate", ["--model", "m", "--data", "d.jsonl"]),
        ("evaluate_articles", ["--model", "m", "--gold", "g.jsonl", "--articles", "a.jsonl"]),
        ("distill", ["--teacher", "t"]),
        ("annotate", ["import", "--input", "e.json"]),
    ],
)
def test_a_second_writer_of_the_same_output_is_refused(name, args, tmp_path, capsys):
    from stancelab.data.io import exclusive_output

    module = importlib.import_module(COMMANDS[name])
    output = tmp_path / "out"
    with exclusive_output(output):  # another process is producing this output
        assert module.main([*args, "--output", str(output)]) == 2
    assert "expected to be the only process writing this output" in capsys.readouterr().err
    assert not output.exists()
