"""SetFit as a training method: the export to stancelab's safe model format reproduces SetFit's own output."""

import json

import numpy as np
import pytest

from stancelab.config import ConfigError, load_config
from stancelab.data.io import InputError
from stancelab.data.schema import coerce_examples
from stancelab.train.setfit_method import head_weights

from conftest import FIXTURE_DATA, LABELS, example_rows


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("classes", [LABELS, ["oppose", "support"]])
def test_head_weights_reproduce_logistic_regression_probabilities(classes):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8))
    y = [classes[i % len(classes)] for i in range(60)]
    x[np.arange(60), [i % len(classes) for i in range(60)]] += 2.0  # learnable
    head = LogisticRegression().fit(x, y)
    order = sorted(classes, reverse=True)  # a label order unlike sklearn's sorted classes_
    weight, bias = head_weights(head, order, None)
    expected = head.predict_proba(x)[:, [list(head.classes_).index(label) for label in order]]
    np.testing.assert_allclose(softmax(x @ weight.T + bias), expected, atol=1e-10)


def test_head_weights_map_class_indices_to_label_names():
    from sklearn.linear_model import LogisticRegression

    x = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 4)
    head = LogisticRegression().fit(x, [0, 1, 2] * 4)  # a head trained on label ids
    weight, bias = head_weights(head, ["c", "a", "b"], ["a", "b", "c"])
    np.testing.assert_allclose(weight[1], head.coef_[0])  # "a" is id 0
    np.testing.assert_allclose(bias[0], head.intercept_[2])  # "c" is id 2


def test_head_weights_reject_other_heads_and_label_sets():
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(InputError, match="expected a fitted scikit-learn LogisticRegression head, found object"):
        head_weights(object(), LABELS, None)
    head = LogisticRegression().fit(np.eye(2).repeat(3, axis=0), ["support", "oppose"] * 3)
    with pytest.raises(InputError, match=r"head knows labels \['oppose', 'support'\], the config has"):
        head_weights(head, LABELS, None)


def test_train_method_is_validated():
    assert (
        load_config(None, [*FIXTURE_DATA, "train.method=setfit", "setfit.num_iterations=4"]).setfit.num_iterations == 4
    )
    with pytest.raises(ConfigError, match="'train.method' must be one of finetune, setfit, found 'setfitt'"):
        load_config(None, [*FIXTURE_DATA, "train.method=setfitt"])
    with pytest.raises(ConfigError, match="'setfit.num_iterations' must be > 0, found 0"):
        load_config(None, [*FIXTURE_DATA, "setfit.num_iterations=0"])


@pytest.fixture(scope="module")
def fitted(tiny_encoder, tmp_path_factory):
    """SetFit on the tiny encoder, a few contrastive steps."""
    pytest.importorskip("setfit")
    from stancelab.train.setfit_method import SetFitMethod

    config = load_config(
        None, [*FIXTURE_DATA, f"model.name_or_path={tiny_encoder}", "model.max_length=48", "train.batch_size=4"]
    )
    train = coerce_examples(example_rows("a") + example_rows("b"), labels=None)
    work = tmp_path_factory.mktemp("setfit")
    return SetFitMethod(config, work, num_iterations=1, max_steps=2).fit(train), coerce_examples(example_rows("c"))


@pytest.mark.parametrize("normalize", [False, True])
def test_export_gives_setfit_probabilities(fitted, tmp_path, normalize):
    from sentence_transformers.base.modules.normalize import Normalize

    from stancelab.models.inputs import input_texts
    from stancelab.models.modeling import save_model
    from stancelab.predict.inference import predict
    from stancelab.predict.loading import load_model

    method, examples = fitted
    if normalize:
        method.model_.model_body.append(Normalize())
    try:
        expected = method.model_.predict_proba(input_texts(examples, method.config.model), as_numpy=True)
        model, tokenizer, spec = method.export()
        assert spec.pooling == ("mean_normalized" if normalize else "mean")
        save_model(model, tokenizer, spec, tmp_path / "model")
    finally:
        if normalize:
            del method.model_.model_body[-1]
    assert not [p.name for p in (tmp_path / "model").iterdir() if p.suffix in (".pkl", ".joblib", ".bin", ".pt")]
    rows = predict(examples, load_model(tmp_path / "model"))
    got = np.array([[row["probs"][label] for label in LABELS] for row in rows])
    classes = [str(c) for c in method.model_.model_head.classes_]  # predict_proba's column order
    order = [classes.index(label) for label in LABELS]
    np.testing.assert_allclose(got, expected[:, order], atol=1e-5)
    assert [row["label"] for row in rows] == [LABELS[i] for i in got.argmax(axis=1)]


def test_export_refuses_a_body_without_mean_pooling(fitted):
    from sentence_transformers.base.modules.normalize import Normalize

    method, _ = fitted
    body = method.model_.model_body
    body.insert(1, Normalize())
    try:
        with pytest.raises(
            InputError, match=r"expected a sentence-transformers body .* found Transformer -> Normalize"
        ):
            method.export()
    finally:
        del body[1]


def test_train_with_setfit_writes_a_run_that_predict_reads(tiny_config_file, tmp_path):
    pytest.importorskip("setfit")
    from stancelab.predict.inference import predict
    from stancelab.train.cli import main

    overrides = ["train.method=setfit", "train.run_name=sf", "setfit.num_iterations=1", "train.max_steps=2"]
    assert main(["--config", str(tiny_config_file), *overrides]) == 0
    run = tmp_path / "runs" / "sf"
    spec = json.loads((run / "model" / "stancelab.json").read_text())
    assert spec["pooling"] == "mean" and spec["template_b"] == "" and spec["extra"]["method"] == "setfit"
    assert not list(run.rglob("*.pkl")) and not (run / "setfit").exists()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["temperature"] > 0 and {"dev", "test", "baselines"} <= set(metrics)
    assert "SetFit" in (run / "model" / "README.md").read_text()
    rows = predict(coerce_examples(example_rows("c")), run)
    assert len(rows) == 9 and {row["label"] for row in rows} <= set(LABELS)
