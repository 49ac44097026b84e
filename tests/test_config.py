import re
from pathlib import Path

import pytest

from stancelab.config import ConfigError, Interval, config_from_dict, config_reference, load_config, save_config

ROOT = Path(__file__).parents[1]


def test_defaults_match_shipped_default_config():
    shipped = load_config(ROOT / "configs" / "default.yaml")
    assert shipped.model.name_or_path == "all-MiniLM-L6-v2"
    assert shipped.data.labels == ["support", "oppose", "conditional", "none"]
    defaults = load_config(None).to_dict()
    for section, values in shipped.to_dict().items():
        for key, value in values.items():
            assert defaults[section][key] == value, f"{section}.{key}: {defaults[section][key]!r} != yaml {value!r}"
    assert (shipped.model.pooling, shipped.train.epochs, shipped.train.learning_rate) == ("mean", 2, 1e-4)
    assert shipped.data.silver == "data/silver/realnews_silver.jsonl"
    assert "data/processed/realnews_train.jsonl" in shipped.data.extra_train


def test_every_default_meets_its_own_constraint():
    """Each declared default, written out as a config, goes through the checks a value in a file does."""
    defaults = load_config(None)
    assert config_from_dict(defaults.to_dict()) == defaults


@pytest.mark.parametrize(
    "override, message",
    [
        ("train.epochs=2.5", r"'train.epochs' must be int, found float 2.5"),
        ("train.warmup_ratio=1", r"'train.warmup_ratio' must be in \[0, 1\), found 1.0"),
        ("model.dropout=-0.1", r"'model.dropout' must be in \[0, 1\), found -0.1"),
        ("train.weight_decay=-1", r"'train.weight_decay' must be >= 0, found -1.0"),
        ("train.eval_batch_size=0", r"'train.eval_batch_size' must be > 0, found 0"),
        ("train.gradient_accumulation_steps=0", r"'train.gradient_accumulation_steps' must be > 0, found 0"),
        ("train.max_steps=-2", r"'train.max_steps' must be >= -1, found -2"),
        ("eval.official_metric=accuracy", r"'eval.official_metric' must be one of macro_f1, semeval_favg"),
        ("eval.baselines=[majority, bert]", r"'eval.baselines' has unknown 'bert'; choose from majority, tfidf_lr"),
    ],
)
def test_each_field_is_checked_and_the_override_is_blamed(override, message):
    blamed = re.escape(f"command-line override '{override}': ")
    with pytest.raises(ConfigError, match=f"^{blamed}{message}"):
        load_config(ROOT / "configs" / "default.yaml", [override])


def test_a_bad_value_in_the_file_is_blamed_on_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train:\n  epochs: abc\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c.yaml: 'train.epochs' must be int, found str 'abc'"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"^command-line override 'train.epochs=abc': 'train.epochs' must be int"):
        load_config(None, ["train.epochs=abc"])


def test_an_epoch_count_saved_as_a_float_reads_back_as_an_int(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train:\n  epochs: 10.0\n", encoding="utf-8")
    assert load_config(path).train.epochs == 10 and isinstance(load_config(path).train.epochs, int)


def test_official_metric_needs_its_labels_at_load_time():
    with pytest.raises(ConfigError, match=r"'eval.official_metric' semeval_favg needs the labels FAVOR, AGAINST"):
        load_config(None, ["eval.official_metric=semeval_favg"])
    config = load_config(None, ["eval.official_metric=semeval_favg", "data.labels=[FAVOR, AGAINST, NONE]"])
    assert config.eval.official_metric == "semeval_favg"


def test_interval_bounds():
    assert 0 in Interval(0, 1, closed="left") and 1 not in Interval(0, 1, closed="left")
    assert str(Interval(0, 1, closed="left")) == "in [0, 1)" and str(Interval(0, None, closed="neither")) == "> 0"


def test_docs_config_reference_is_generated_from_the_declarations():
    committed = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    assert committed == config_reference(), (
        "docs/config.md is out of date; regenerate it with "
        "python -c \"from stancelab.config import config_reference as r; open('docs/config.md', 'w').write(r())\""
    )


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
    with pytest.raises(ConfigError, match=r"'train.class_weights' has 2 weights for 4 labels"):
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


def test_fractional_epochs_are_refused_with_the_fix():
    with pytest.raises(ConfigError, match=r"must be int, found float 2.5\. Fix: epochs are whole passes"):
        load_config(None, ["train.epochs=2.5"])


def test_a_near_miss_key_or_section_gets_a_suggestion(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train:\n  learning_rat: 0.1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"Did you mean 'train.learning_rate'\?$"):
        load_config(path)
    path.write_text("modle:\n  dropout: 0.1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown section 'modle'; .* Did you mean 'model'\?$"):
        load_config(path)
    path.write_text("optimizer:\n  lr: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"Check the spelling\.$"):
        load_config(path)


def test_a_config_path_that_is_a_folder(tmp_path):
    with pytest.raises(ConfigError, match=r"expected a YAML config file, found a folder\.$"):
        load_config(tmp_path)
