"""The model directory: the bundled encoder's name, finding a model in a run, the saved spec and its checks."""

import json

import pytest

from stancelab.data.io import InputError
from stancelab.models.modeling import find_model_dir, load_for_training, resolve_model_path, save_model
from stancelab.models.spec import FORMAT_VERSION, META_FILE, ModelSpec


def test_local_paths_and_hub_ids_pass_through():
    assert resolve_model_path("/models/my-encoder") == "/models/my-encoder"
    assert resolve_model_path("org/model") == "org/model"


def test_find_model_dir_accepts_a_run_or_a_model_dir(tmp_path):
    model = tmp_path / "run" / "model"
    ModelSpec(labels=["a", "b"]).save(model)
    assert find_model_dir(tmp_path / "run") == model
    assert find_model_dir(model) == model
    with pytest.raises(InputError, match=r"expected a stancelab model directory .* found no such folder"):
        find_model_dir(tmp_path / "nope")


def test_spec_round_trip_and_newer_format_is_refused(tmp_path):
    spec = ModelSpec(labels=["support", "oppose"], template_b="", pooling="mean", temperature=1.7)
    spec.save(tmp_path)
    assert ModelSpec.load(tmp_path) == spec
    data = json.loads((tmp_path / META_FILE).read_text(encoding="utf-8"))
    (tmp_path / META_FILE).write_text(json.dumps({**data, "format_version": FORMAT_VERSION + 1}), encoding="utf-8")
    with pytest.raises(InputError, match=f"model format version {FORMAT_VERSION + 1} is newer"):
        ModelSpec.load(tmp_path)


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_save_writes_safetensors_tokenizer_and_spec(tiny_encoder, tmp_path, pooling):
    tokenizer, model = load_for_training(str(tiny_encoder), ["support", "oppose"], 0.1, pooling)
    out = save_model(model, tokenizer, ModelSpec(labels=["support", "oppose"], pooling=pooling), tmp_path / "m")
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "model.safetensors", META_FILE} <= names and not any(n.endswith(".bin") for n in names)
    assert json.loads((out / "config.json").read_text(encoding="utf-8"))["id2label"] == {"0": "support", "1": "oppose"}
