"""End to end with the real bundled all-MiniLM-L6-v2 (slow: run with `make test-slow`)."""

import json
from pathlib import Path

import pytest

from stancelab import predict
from stancelab.config import load_config
from stancelab.models.modeling import resolve_model_path
from stancelab.train.run import train

from conftest import LABELS, example_rows, write_jsonl

pytestmark = pytest.mark.slow


def test_bundled_encoder_is_installed_with_safetensors():
    path = Path(resolve_model_path("all-MiniLM-L6-v2"))
    assert (path / "model.safetensors").is_file() and (path / "tokenizer.json").is_file()


def test_minilm_trains_evaluates_and_predicts(tmp_path):
    files = {name: write_jsonl(tmp_path / f"{name}.jsonl", example_rows(name)) for name in ("train", "dev", "test")}
    overrides = [f"data.{name}={path}" for name, path in files.items()] + [
        f"train.output_dir={tmp_path / 'runs'}",
        "train.epochs=3",
        "train.batch_size=8",
    ]
    config = load_config(Path(__file__).parents[1] / "configs" / "default.yaml", overrides)
    metrics = train(config, tmp_path / "runs" / "default")
    assert 0.0 <= metrics["test"]["macro_f1"] <= 1.0
    spec = json.loads((tmp_path / "runs" / "default" / "model" / "stancelab.json").read_text())
    assert spec["base_model"] == "all-MiniLM-L6-v2" and spec["labels"] == LABELS
    result = predict(example_rows()[:2], model=tmp_path / "runs" / "default")
    assert [set(r["probs"]) for r in result] == [set(LABELS)] * 2
