"""Training on several labelled files, with a "no position" label and teacher-labelled (silver) rows."""

import json

import numpy as np
import pytest
import torch

from stancelab.config import ConfigError, load_config, load_splits, repeat_examples
from stancelab.data.io import InputError
from stancelab.data.schema import read_examples
from stancelab.evaluate.evaluation import evaluate_examples
from stancelab.predict.loading import load_model
from stancelab.train.finetune import _loss_fn
from stancelab.train.run import train

from conftest import FIXTURE_DATA, example_rows, write_jsonl


def _config(tmp_path, tiny_encoder, data_files, **extra):
    overrides = [f"data.{n}={p}" for n, p in data_files.items()] + [
        f"model.name_or_path={tiny_encoder}", "model.max_length=48", f"train.output_dir={tmp_path / 'runs'}",
        "train.epochs=1", "train.batch_size=4", "train.learning_rate=1e-3", "train.early_stopping_patience=0",
        "eval.baselines=[majority]",
    ] + [f"{k}={v}" for k, v in extra.items()]
    return load_config(None, [*FIXTURE_DATA, *overrides])


def _none_rows(prefix: str) -> list[dict]:
    rows = example_rows(prefix)[:3]
    return [{**r, "id": f"{r['id']}-n", "label": "none", "target": "the meeting"} for r in rows]


def _silver_rows(prefix: str, probs: dict) -> list[dict]:
    return [{**r, "id": f"{r['id']}-s", "probs": probs} for r in example_rows(prefix)[:4]]


def test_extra_train_files_are_added_and_repeated(tmp_path, tiny_encoder, data_files):
    extra = write_jsonl(tmp_path / "extra.jsonl", example_rows("e"))
    config = _config(tmp_path, tiny_encoder, data_files, **{"data.extra_train": f"[{extra}]",
                                                            "data.extra_train_repeat": "[2]"})
    splits = load_splits(config)
    assert len(splits["train"]) == 9 + 18


def test_repeat_examples_fraction_is_a_seeded_sample():
    items = list(range(10))
    assert repeat_examples(items, 1.5, seed=1)[:10] == items
    assert len(repeat_examples(items, 1.5, seed=1)) == 15
    assert repeat_examples(items, 0.3, seed=1) == repeat_examples(items, 0.3, seed=1)
    assert repeat_examples(items, 0, seed=1) == []


def test_extra_train_repeat_must_match_the_files():
    with pytest.raises(ConfigError, match="extra_train_repeat"):
        load_config(None, [*FIXTURE_DATA, "data.extra_train_repeat=[1, 2]"])


def test_four_label_run_with_silver_scores_stance_test_over_three_labels(tmp_path, tiny_encoder, data_files):
    none_train = write_jsonl(tmp_path / "none.jsonl", _none_rows("n"))
    silver = write_jsonl(tmp_path / "silver.jsonl",
                         _silver_rows("s", {"support": 0.7, "oppose": 0.2, "conditional": 0.1}))
    extra_test = write_jsonl(tmp_path / "extra_test.jsonl", example_rows("x") + _none_rows("xn"))
    config = _config(tmp_path, tiny_encoder, data_files, **{
        "data.labels": "[support, oppose, conditional, none]", "data.extra_train": f"[{none_train}]",
        "data.silver": str(silver), "data.extra_test": f"[{extra_test}]", "train.run_name": "four"})
    metrics = train(config, tmp_path / "runs" / "four")
    assert set(metrics["test"]["per_class"]) == {"support", "oppose", "conditional"}
    assert set(metrics["extra_test"][str(extra_test)]["per_class"]) == {"support", "oppose", "conditional", "none"}
    spec = json.loads((tmp_path / "runs" / "four" / "model" / "stancelab.json").read_text())
    assert spec["none_label"] == "none" and spec["labels"][-1] == "none"
    loaded = load_model(tmp_path / "runs" / "four")
    _, rows = evaluate_examples(read_examples(data_files["test"]), loaded)
    assert all(set(r["probs"]) == {"support", "oppose", "conditional"} for r in rows)
    assert all(sum(r["probs"].values()) == pytest.approx(1.0) for r in rows)


def test_silver_needs_probs_for_the_labels(tmp_path, tiny_encoder, data_files):
    silver = write_jsonl(tmp_path / "silver.jsonl", _silver_rows("s", {"support": 1.0}))
    config = _config(tmp_path, tiny_encoder, data_files, **{"data.silver": str(silver)})
    with pytest.raises(InputError, match="needs 'probs' with one probability for each of support, oppose"):
        load_splits(config)


def test_soft_loss_leaves_out_labels_the_teacher_does_not_score():
    config = load_config(None, [*FIXTURE_DATA, "data.labels=[support, oppose, conditional, none]"])
    loss = _loss_fn(config, [], soft=True)
    logits = torch.tensor([[2.0, 0.0, 0.0, 5.0]])

    class Out:
        pass

    out = Out()
    out.logits = logits
    masked = loss(out, torch.tensor([[1.0, 0.0, 0.0, -1.0]]))
    expected = -torch.log_softmax(logits[:, :3], dim=-1)[0, 0]
    assert masked.item() == pytest.approx(expected.item())
    hard = loss(out, torch.tensor([0]))
    assert hard.item() == pytest.approx(-torch.log_softmax(logits, dim=-1)[0, 0].item())
    assert np.isfinite(masked.item())
