"""The mean-pooling head: padding-blind pooling, a self-describing saved model, strict loading."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from stancelab.config import ConfigError, load_config
from stancelab.data.io import InputError
from stancelab.data.schema import coerce_examples
from stancelab.models.pooling import MeanPoolingClassifier, load, mean_pool
from stancelab.predict.inference import predict, predict_logits
from stancelab.predict.loading import _load_cached, load_model

from conftest import example_rows, train_tiny_run


@pytest.fixture(scope="module")
def mean_run(tmp_path_factory, tiny_encoder):
    return train_tiny_run(
        tmp_path_factory.mktemp("mean-run"), tiny_encoder, "mean", "model.pooling=mean", "eval.baselines=[]"
    )


def test_mean_pool_ignores_padding():
    hidden = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    pooled = mean_pool(hidden, mask)
    assert torch.allclose(pooled[0], hidden[0, :2].mean(dim=0))
    assert torch.allclose(pooled[1], hidden[1].mean(dim=0))
    assert torch.allclose(mean_pool(hidden, None), hidden.mean(dim=1))


def test_normalized_head_classifies_the_unit_length_mean(tiny_encoder, tmp_path):
    from stancelab.models.modeling import load_for_training, save_model
    from stancelab.models.spec import ModelSpec

    tokenizer, model = load_for_training(str(tiny_encoder), ["a", "b", "c"], 0.0, "mean_normalized")
    model.eval()
    batch = tokenizer(["ruiz rejected the tariff plan", "berg welcomed the levy"], padding=True, return_tensors="pt")
    with torch.no_grad():
        pooled = mean_pool(model.encoder(**batch).last_hidden_state, batch["attention_mask"])
        unit = pooled / pooled.norm(dim=-1, keepdim=True)
        assert torch.allclose(model(**batch).logits, model.classifier(unit), atol=1e-6)
    spec = ModelSpec(labels=["a", "b", "c"], pooling="mean_normalized")
    save_model(model, tokenizer, spec, tmp_path / "model")
    reloaded = load_model(tmp_path / "model").model
    assert reloaded.normalize
    with torch.no_grad():
        assert torch.allclose(reloaded(**batch).logits, model(**batch).logits, atol=1e-6)


def test_saved_run_says_mean_and_holds_encoder_and_head_without_the_cls_pooler(mean_run):
    spec = json.loads((mean_run / "model" / "stancelab.json").read_text())
    assert spec["pooling"] == "mean"
    weights = load_file(str(mean_run / "model" / "model.safetensors"))
    assert "classifier.weight" in weights and any(k.startswith("encoder.") for k in weights)
    assert not any("pooler" in k for k in weights)
    config = json.loads((mean_run / "model" / "config.json").read_text())
    assert config["id2label"] == {"0": "support", "1": "oppose", "2": "conditional"}


def test_reloaded_model_reproduces_training_time_probabilities(mean_run):
    rows = [json.loads(line) for line in (mean_run / "predictions_test.jsonl").read_text().splitlines()]
    _load_cached.cache_clear()
    loaded = load_model(mean_run)
    assert isinstance(loaded.model, MeanPoolingClassifier)
    for row, result in zip(rows, predict(rows, model=loaded)):
        assert result["probs"] == pytest.approx(row["probs"], abs=1e-5)


def test_batching_and_padding_do_not_change_the_logits(mean_run):
    loaded = load_model(mean_run)
    examples = coerce_examples(example_rows())
    one = predict_logits(examples, loaded, batch_size=1)
    assert np.allclose(predict_logits(examples, loaded, batch_size=16), one, atol=1e-5)


def test_reduced_precisions_load_the_mean_head(mean_run):
    rows = example_rows()
    plain = predict(rows, model=mean_run)
    int8 = load_model(mean_run, precision="int8")
    assert type(int8.model.classifier) is not torch.nn.Linear  # quantised like any other linear layer
    for a, b in zip(plain, predict(rows, model=int8)):
        assert np.allclose(list(a["probs"].values()), list(b["probs"].values()), atol=0.02)


def test_loading_is_strict_about_the_weights(mean_run, tmp_path):
    import shutil

    broken = tmp_path / "model"
    shutil.copytree(mean_run / "model", broken)
    weights = load_file(str(broken / "model.safetensors"))
    del weights["classifier.bias"]
    save_file(weights, str(broken / "model.safetensors"))
    with pytest.raises(RuntimeError, match="classifier.bias"):
        load(broken)


def test_unknown_pooling_is_rejected_in_config_and_model_dir(mean_run, tmp_path):
    with pytest.raises(ConfigError, match=r"'model.pooling' must be one of cls, mean, mean_normalized, found 'max'"):
        load_config(None, ["model.pooling=max"])
    import shutil

    edited = tmp_path / "model"
    shutil.copytree(mean_run / "model", edited)
    spec = json.loads((edited / "stancelab.json").read_text())
    (edited / "stancelab.json").write_text(json.dumps({**spec, "pooling": "max"}))
    with pytest.raises(InputError, match="'pooling' must be one of cls, mean, mean_normalized, found 'max'"):
        load_model(edited)
