"""``train`` on bad input: exit 2, a message that blames the right place, and nothing created on disk."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from stancelab.config import ConfigError, load_config
from stancelab.data.io import InputError, exclusive_output
from stancelab.train.cli import main
from stancelab.train.run import train


def run(capsys, *args) -> tuple[int, str]:
    status = main([str(a) for a in args])
    return status, capsys.readouterr().err


def runs_dir(config_file: Path) -> Path:
    return Path(yaml.safe_load(config_file.read_text())["train"]["output_dir"])


def assert_nothing_created(config_file: Path) -> None:
    runs = runs_dir(config_file)
    assert not runs.exists() or not any(runs.iterdir()), sorted(p.name for p in runs.iterdir())


@pytest.mark.parametrize(
    "override, message",
    [
        ("train.epochs=2.5", r"command-line override 'train.epochs=2.5': 'train.epochs' must be int, found float 2.5\. "
                             r"Fix: epochs are whole passes over the data"),
        ("train.epochs=abc", r"command-line override 'train.epochs=abc': 'train.epochs' must be int, found str 'abc'"),
        ("train.learning_rate=-0.001", r"'train.learning_rate' must be > 0, found -0.001"),
        ("train.batch_size=0", r"'train.batch_size' must be > 0, found 0"),
        ("train.epoch=3", r"unknown key 'train.epoch'.*Did you mean 'train.epochs'\?"),
        ("data.labels=[support]", r"'data.labels' must list at least two distinct label names"),
    ],
)
def test_a_bad_config_value_exits_2_and_creates_nothing(tiny_config_file, capsys, override, message):
    import re

    status, err = run(capsys, "--config", tiny_config_file, override)
    assert status == 2 and re.search(message, err), err
    assert_nothing_created(tiny_config_file)


def test_a_value_in_the_file_is_blamed_on_the_file_not_the_command_line(tiny_config_file, capsys):
    config = yaml.safe_load(tiny_config_file.read_text())
    config["train"]["epochs"] = 2.5
    tiny_config_file.write_text(yaml.safe_dump(config))
    status, err = run(capsys, "--config", tiny_config_file)
    assert status == 2 and f"{tiny_config_file}: 'train.epochs' must be int, found float 2.5" in err
    assert "command-line" not in err


def test_an_unknown_section_near_a_known_one(tiny_config_file, capsys):
    config = yaml.safe_load(tiny_config_file.read_text())
    config["trian"] = config.pop("train")
    tiny_config_file.write_text(yaml.safe_dump(config))
    status, err = run(capsys, "--config", tiny_config_file)
    assert status == 2 and "unknown section 'trian'" in err and "Did you mean 'train'?" in err


def test_a_config_path_that_is_a_folder(tmp_path, capsys):
    (tmp_path / "default.yaml").write_text("train: {}\n")
    status, err = run(capsys, "--config", tmp_path)
    assert status == 2 and "expected a YAML config file, found a folder. It holds default.yaml" in err
    with pytest.raises(ConfigError, match="found a folder"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d, f: f["train"].unlink(), "train.jsonl: file not found"),
        (lambda d, f: f["dev"].write_text(f["dev"].read_text().replace('"oppose"', '"against"')), "against"),
    ],
)
def test_bad_data_files_exit_2_before_a_partial_run_directory_exists(tiny_config_file, data_files, capsys, change,
                                                                     message):
    change(tiny_config_file, data_files)
    status, err = run(capsys, "--config", tiny_config_file)
    assert status == 2 and message in err, err
    assert_nothing_created(tiny_config_file)


@pytest.mark.parametrize("path, found", [("missing-model", "no such folder"), ("empty-model", "a folder without")])
def test_a_bad_model_path_exits_2_before_a_partial_run_directory_exists(tiny_config_file, tmp_path, capsys, path,
                                                                        found):
    model = tmp_path / path
    if path == "empty-model":
        model.mkdir()
    status, err = run(capsys, "--config", tiny_config_file, f"model.name_or_path={model}")
    assert status == 2 and "expected a model folder with config.json (a transformers encoder" in err
    assert found in err
    assert_nothing_created(tiny_config_file)


def test_a_second_train_to_the_same_run_is_refused(tiny_config_file, capsys):
    run_dir = runs_dir(tiny_config_file) / "tiny"
    with exclusive_output(run_dir):  # as a first train holds it while it runs
        status, err = run(capsys, "--config", tiny_config_file)
        with pytest.raises(InputError, match="expected to be the only process writing this output"):
            train(load_config(tiny_config_file), run_dir)
    assert status == 2 and "expected to be the only process writing this output" in err
    assert not run_dir.exists() and not (run_dir.parent / ".tiny.partial").exists()


def test_outputs_of_a_run_get_the_users_umask(trained_run):
    """Every file and folder of a finished run has the mode any other new file of the user's would get."""
    mask = os.umask(0)
    os.umask(mask)
    wrong = []
    for path in [trained_run, *trained_run.rglob("*")]:
        wanted = (0o777 if path.is_dir() else 0o666) & ~mask
        if path.stat().st_mode & 0o777 != wanted:
            wrong.append(f"{path.relative_to(trained_run)} {oct(path.stat().st_mode & 0o777)}")
    assert not wrong, wrong
    assert json.loads((trained_run / "metrics.json").read_text())["test"]
