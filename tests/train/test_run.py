import json

import pytest

from stancelab.config import load_config
from stancelab.data.io import InputError
from stancelab.train.cli import main
from stancelab.train.finetune import class_weights
from stancelab.train.run import train

from conftest import LABELS


def test_run_directory_is_self_describing(trained_run):
    names = {p.name for p in trained_run.iterdir()}
    assert {
        "config.yaml",
        "model",
        "metrics.json",
        "predictions_dev.jsonl",
        "predictions_test.jsonl",
        "train_log.csv",
        "train_log.jsonl",
    } <= names
    model_files = {p.name for p in (trained_run / "model").iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "stancelab.json"} <= model_files
    assert not any(name.endswith((".bin", ".pt", ".pkl")) for name in model_files)
    config = json.loads((trained_run / "model" / "config.json").read_text())
    assert [config["id2label"][str(i)] for i in range(3)] == LABELS
    metrics = json.loads((trained_run / "metrics.json").read_text())
    for split in ("dev", "test"):
        assert {"accuracy", "macro_f1", "per_class", "confusion_matrix", "macro_f1_ci", "ece"} <= set(metrics[split])
    assert metrics["temperature"] > 0
    assert "eval_macro_f1" in (trained_run / "train_log.csv").read_text().splitlines()[0]
    assert not (trained_run.parent / f".{trained_run.name}.partial").exists()


def test_predictions_file_has_one_row_per_example(trained_run):
    rows = [json.loads(line) for line in (trained_run / "predictions_test.jsonl").read_text().splitlines()]
    assert len(rows) == 9
    assert all(set(row["probs"]) == set(LABELS) and row["predicted"] in LABELS for row in rows)


def test_finished_run_is_not_overwritten_without_flag(trained_run):
    config = load_config(trained_run / "config.yaml")
    before = (trained_run / "metrics.json").read_bytes()
    with pytest.raises(InputError, match=r"already holds a finished run\. Pass --overwrite"):
        train(config, trained_run)
    assert (trained_run / "metrics.json").read_bytes() == before


def test_same_seed_same_metrics(tiny_config_file, tmp_path):
    first = train(load_config(tiny_config_file), tmp_path / "runs" / "a")
    second = train(load_config(tiny_config_file), tmp_path / "runs" / "b")
    assert first["test"]["macro_f1"] == second["test"]["macro_f1"]
    probs = [(tmp_path / "runs" / name / "predictions_test.jsonl").read_text() for name in ("a", "b")]
    assert probs[0] == probs[1]


def test_cli_trains_with_overrides_and_prints_table(tiny_config_file, tmp_path, capsys):
    assert main(["--config", str(tiny_config_file), "train.run_name=cli", "train.max_steps=1"]) == 0
    out = capsys.readouterr().out
    assert f"run directory: {tmp_path / 'runs' / 'cli'}" in out
    assert "macro-F1=" in out and "confusion matrix" in out
    assert load_config(tmp_path / "runs" / "cli" / "config.yaml").train.max_steps == 1


def test_cli_rejects_unknown_config_key(tiny_config_file, capsys):
    assert main(["--config", str(tiny_config_file), "train.epoch=3"]) == 2
    assert "unknown key 'train.epoch'" in capsys.readouterr().err


def test_missing_label_in_training_data(tiny_config_file, tmp_path):
    config = load_config(tiny_config_file)
    rows = [line for line in open(config.data.train) if '"conditional"' not in line]
    (tmp_path / "noc.jsonl").write_text("".join(rows))
    config.data.train = str(tmp_path / "noc.jsonl")
    with pytest.raises(InputError, match=r"no training example has label\(s\) \['conditional'\]"):
        train(config, tmp_path / "runs" / "x")


def test_balanced_class_weights(tiny_config_file):
    from stancelab.data.schema import read_examples

    config = load_config(tiny_config_file, ["train.class_weights=balanced"])
    examples = read_examples(config.data.train)[:4]  # 2 support, 1 oppose, 1 conditional
    assert class_weights(config, examples) == pytest.approx([4 / 6, 4 / 3, 4 / 3])
    config.train.class_weights = "none"
    assert class_weights(config, examples) is None


def test_cli_prints_one_line_per_epoch_not_raw_dicts(tiny_config_file, tmp_path, capsys):
    assert main(["--config", str(tiny_config_file), "train.run_name=lines"]) == 0
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    assert all("train loss" in line and "dev macro-F1" in line for line in lines)
    assert "{'loss'" not in out + err and "{'eval_loss'" not in out + err
    assert (tmp_path / "runs" / "lines" / "tensorboard").is_dir()  # TensorBoard logging stays
    assert main(["--config", str(tiny_config_file), "train.run_name=quiet", "--quiet"]) == 0
    assert "epoch 1/2" not in capsys.readouterr().err
