import pytest

from stancelab.config import ConfigError, load_config, save_config


def test_defaults_match_shipped_default_config():
    from pathlib import Path

    shipped = load_config(Path(__file__).parents[1] / "configs" / "default.yaml")
    assert shipped.model.name_or_path == "all-MiniLM-L6-v2"
    assert shipped.data.labels == ["support", "oppose", "conditional"]


def test_unknown_key_is_named_with_valid_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train:\n  epoch: 3\n", encoding="utf-8")
    with pytest.raises(
        ConfigError,
        match=r"c.yaml: unknown key 'train.epoch'; valid keys in 'train' are: "
        r"method, output_dir, run_name, seed, epochs,",
    ):
        load_config(path)


def test_unknown_section(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("optimizer:\n  lr: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown section 'optimizer'; valid sections are data, model, train"):
        load_config(path)


def test_wrong_type_names_key_and_value():
    with pytest.raises(ConfigError, match=r"'train.batch_size' must be int, found str 'big'"):
        load_config(None, ["train.batch_size=big"])


def test_overrides_parse_yaml_values_and_scientific_floats():
    config = load_config(None, ["train.epochs=2", "train.learning_rate=1e-3", "data.labels=[FAVOR, AGAINST]"])
    assert config.train.epochs == 2.0 and config.train.learning_rate == 0.001
    assert config.data.labels == ["FAVOR", "AGAINST"]


def test_bad_override_syntax():
    with pytest.raises(ConfigError, match=r"override 'epochs': expected section.key=value"):
        load_config(None, ["epochs"])


def test_class_weights_validated():
    with pytest.raises(ConfigError, match=r"'train.class_weights' has 2 weights for 3 labels"):
        load_config(None, ["train.class_weights=[1, 2]"])
    with pytest.raises(ConfigError, match=r"'train.class_weights' must be 'none', 'balanced' or a list"):
        load_config(None, ["train.class_weights=heavy"])


def test_template_with_unknown_field():
    with pytest.raises(ConfigError, match=r"'model.template_a' = '\{who\}' uses an unknown or malformed field"):
        load_config(None, ["model.template_a={who}"])


def test_not_a_mapping_and_bad_yaml(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"expected a mapping of sections"):
        load_config(path)
    path.write_text("train: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"expected valid YAML"):
        load_config(path)


def test_saved_config_loads_back_identically(tmp_path):
    config = load_config(None, ["train.epochs=3", "model.max_length=64"])
    save_config(config, tmp_path / "config.yaml")
    assert load_config(tmp_path / "config.yaml") == config
