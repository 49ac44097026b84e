"""Grouped k-fold cross-validation by article."""

import pytest

from stancelab.config import load_config
from stancelab.data.io import InputError
from stancelab.data.schema import coerce_examples
from stancelab.experiments.crossval import cross_validate, fold_splits, summarise_folds

from conftest import example_rows


def test_summary_is_mean_and_sample_std_over_folds():
    folds = [
        {"macro_f1": 0.5, "accuracy": 0.6, "per_class": {"support": {"f1": 0.4}}},
        {"macro_f1": 0.7, "accuracy": 0.8, "per_class": {"support": {"f1": 0.6}}},
    ]
    summary = summarise_folds(folds)
    assert summary["mean"] == pytest.approx({"macro_f1": 0.6, "accuracy": 0.7, "f1_support": 0.5})
    assert summary["std"]["macro_f1"] == pytest.approx(0.1414213562)
    assert summary["per_fold"]["f1_support"] == [0.4, 0.6]


def test_grouped_folds_never_split_an_article():
    examples = coerce_examples(example_rows("a") + example_rows("b"))
    for train_part, held_out in fold_splits(examples, 3):
        assert not {e.article_id for e in train_part} & {e.article_id for e in held_out}
    with pytest.raises(InputError, match=r"--folds 9 needs at least 9 articles in train\+dev, found 6"):
        fold_splits(examples, 9)


def test_cross_validate_writes_summary(tiny_config_file, tmp_path):
    summary = cross_validate(load_config(tiny_config_file, ["train.max_steps=1"]), 2)
    assert summary["folds"] == 2 and len(summary["per_fold"]["macro_f1"]) == 2
    per_fold = summary["per_fold"]["macro_f1"]
    assert summary["mean"]["macro_f1"] == pytest.approx(sum(per_fold) / 2)
    assert summary["std"]["macro_f1"] == pytest.approx(abs(per_fold[0] - per_fold[1]) / 2**0.5)
    assert (tmp_path / "runs" / "tiny-cv" / "folds.json").is_file()


