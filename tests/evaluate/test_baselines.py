import pytest

from stancelab.config import ConfigError, load_config
from stancelab.data.schema import coerce_examples
from stancelab.evaluate.baselines import format_comparison, run_baselines

from conftest import FIXTURE_DATA, example_rows


@pytest.fixture
def splits():
    return {name: coerce_examples(example_rows(name), labels=None) for name in ("train", "dev", "test")}


def test_majority_and_tfidf_score_every_split(splits):
    config = load_config(None, FIXTURE_DATA)
    results = run_baselines(config, splits, ("majority", "tfidf_lr"))
    assert results["majority"]["test"]["accuracy"] == pytest.approx(3 / 9)  # 3 of each label; picks one
    assert results["tfidf_lr"]["C"] in (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
    # the texts repeat across splits, so a bag of words separates them perfectly
    assert results["tfidf_lr"]["test"]["macro_f1"] == pytest.approx(1.0)
    assert "tfidf_lr" in format_comparison(results)


def test_frozen_encoder_baseline_runs_on_any_encoder(splits, tiny_encoder):
    config = load_config(None, [*FIXTURE_DATA, f"model.name_or_path={tiny_encoder}"])
    result = run_baselines(config, splits, ("frozen_lr",))["frozen_lr"]
    low, high = result["test"]["macro_f1_ci"]
    assert result["C"] in (0.1, 0.3, 1.0, 3.0, 10.0, 30.0) and result["test"]["n"] == 9
    assert low <= result["test"]["macro_f1"] <= high


def test_unknown_baseline(splits):
    with pytest.raises(ConfigError, match="unknown baseline 'bert'"):
        run_baselines(load_config(None, FIXTURE_DATA), splits, ("bert",))
