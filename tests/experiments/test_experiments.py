import json

import pytest
import yaml

from stancelab.config import load_config
from stancelab.data.io import InputError
from stancelab.data.schema import coerce_examples
from stancelab.experiments.cli import main
from stancelab.experiments.folds import article_holdout, domain_folds, nested_subsets
from stancelab.experiments.methods import FineTune, LogisticBaseline
from stancelab.experiments.runners import fit_and_score
from stancelab.experiments.summaries import summarise
from stancelab.predict.inference import predict

from conftest import FIXTURE_DATA, LABELS, example_rows, write_jsonl

DOMAINS = ["climate", "sport", "trade"]


def domain_rows(prefix: str) -> list[dict]:
    """The 9 fixture rows (3 articles of 3) with one domain per article."""
    rows = example_rows(prefix)
    for i, row in enumerate(rows):
        row["domain"] = DOMAINS[i // 3]
    return rows


@pytest.fixture
def pools():
    trainable = coerce_examples(domain_rows("a") + domain_rows("b"), labels=None)
    test_only = coerce_examples(domain_rows("c"), labels=None)
    return trainable, test_only


def test_domain_folds_never_leak_the_held_out_domain(pools):
    trainable, test_only = pools
    folds = domain_folds(trainable, test_only, dev_fraction=0.3, seed=1)
    assert [f.domain for f in folds] == DOMAINS
    test_ids = {ex.id for ex in test_only}
    for fold in folds:
        assert all(ex.domain != fold.domain for ex in fold.train + fold.dev)
        assert {ex.domain for ex in fold.test} == {fold.domain}
        assert len(fold.test) == 9  # every example of the domain, the test split's included
        assert not test_ids & {ex.id for ex in fold.train + fold.dev}  # the test split is only scored
        assert not {ex.article_id for ex in fold.train} & {ex.article_id for ex in fold.dev}
        assert len(fold.train) + len(fold.dev) == 12
        # configurations are chosen on the held-out domain without its test-split examples
        assert fold.selection and not test_ids & {ex.id for ex in fold.selection}
        assert {ex.id for ex in fold.selection} < {ex.id for ex in fold.test}


def test_domain_folds_check_their_input(pools):
    trainable, test_only = pools
    assert [f.domain for f in domain_folds(trainable, test_only, ["sport"])] == ["sport"]
    with pytest.raises(InputError, match="unknown domain 'space'; the data has climate, sport, trade"):
        domain_folds(trainable, test_only, ["space"])
    trainable[0].domain = None
    with pytest.raises(InputError, match="needs a 'domain' on every example; 'a-0'"):
        domain_folds(trainable, test_only)


def test_article_holdout_is_grouped_and_seeded(pools):
    trainable, _ = pools  # 6 articles
    train, dev = article_holdout(trainable, 0.34, seed=3)
    assert len({ex.article_id for ex in dev}) == 2
    assert not {ex.article_id for ex in train} & {ex.article_id for ex in dev}
    assert article_holdout(trainable, 0.34, seed=3) == (train, dev)
    with pytest.raises(InputError, match="dev fraction must be between 0 and 1"):
        article_holdout(trainable, 1.5, seed=3)


def test_nested_subsets_are_nested_and_seeded(pools):
    examples, _ = pools
    subsets = nested_subsets(examples, [3, "10", "all"], seed=2)
    assert list(subsets) == ["3", "10", "all"]
    assert subsets["3"] == subsets["10"][:3] and subsets["10"] == subsets["all"][:10]
    assert sorted(ex.id for ex in subsets["all"]) == sorted(ex.id for ex in examples)
    assert nested_subsets(examples, [10], seed=2)["10"] == subsets["10"]
    assert nested_subsets(examples, [10], seed=5)["10"] != subsets["10"]
    with pytest.raises(InputError, match="subset size 99 must be between 1 and the 18"):
        nested_subsets(examples, [99], seed=2)


class Echo:
    """A stand-in method that predicts the gold label, to check how scores are split per set."""

    def fit(self, train, dev):
        return self

    def predict(self, examples):
        return [ex.label for ex in examples]


def test_fit_and_score_scores_each_set_separately(pools):
    trainable, test_only = pools
    result = fit_and_score(Echo(), trainable, test_only, {"a": trainable[:4], "b": test_only}, LABELS)
    assert (result["n_train"], result["a"]["n"], result["b"]["n"]) == (18, 4, 9)
    assert result["b"]["macro_f1"] == 1.0
    mean, std = summarise([result["a"], result["b"]])
    assert set(mean) == {"macro_f1", "f1_support", "f1_oppose", "f1_conditional"}
    a = result["a"]["macro_f1"]
    assert mean["macro_f1"] == pytest.approx((a + 1.0) / 2) and std["macro_f1"] == pytest.approx(abs(a - 1.0) / 2**0.5)


def test_tfidf_baseline_fits_and_predicts(pools):
    trainable, test_only = pools
    method = LogisticBaseline(load_config(None, FIXTURE_DATA), "tfidf").fit(trainable, test_only)
    assert method.C_ > 0 and method.predict(test_only) == [ex.label for ex in test_only]
    assert method.predict([]) == []


def test_frozen_baseline_embeds_each_text_once(pools, tiny_encoder):
    trainable, test_only = pools
    cache = {}
    config = load_config(None, [*FIXTURE_DATA, f"model.name_or_path={tiny_encoder}", "model.max_length=48"])
    method = LogisticBaseline(config, "frozen", cache).fit(trainable, test_only)
    assert len(cache) == 9  # the a/b/c rows repeat the same 9 texts
    embedded = dict(cache)
    predicted = method.predict(test_only)
    assert len(predicted) == 9 and set(predicted) <= set(LABELS)
    assert cache == embedded and method.predict(test_only) == predicted  # predicting embeds nothing new


def test_finetune_method_trains_a_run_and_predicts(pools, tiny_encoder, tmp_path):
    trainable, test_only = pools
    overrides = [f"model.name_or_path={tiny_encoder}", "model.max_length=48", "train.epochs=1", "train.batch_size=8"]
    method = FineTune(load_config(None, [*FIXTURE_DATA, *overrides]), tmp_path / "ft").fit(trainable, test_only)
    assert (tmp_path / "ft" / "run" / "metrics.json").is_file()
    saved = [row["label"] for row in predict(test_only, model=tmp_path / "ft" / "run")]
    assert method.predict(test_only) == saved  # the method predicts with the run it trained


@pytest.fixture
def experiment_config(tmp_path):
    files = {name: write_jsonl(tmp_path / f"{name}.jsonl", domain_rows(name)) for name in ("train", "dev", "test")}
    config = {"data": {k: str(v) for k, v in files.items()}, "train": {"output_dir": str(tmp_path / "runs")}}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_lodo_cli_writes_json_and_markdown(experiment_config, tmp_path, capsys):
    out = tmp_path / "lodo"
    extra = f"other={tmp_path / 'test.jsonl'}"
    code = main(
        [
            "lodo",
            "--config",
            str(experiment_config),
            "--methods",
            "tfidf_lr",
            "--out",
            str(out),
            "--dev-fraction",
            "0.3",
            "--extra",
            extra,
            "train.seed=5",  # an override after --extra stays an override
        ]
    )
    assert code == 0
    results = json.loads((out / "lodo.json").read_text())
    entry = results["methods"]["tfidf_lr"]
    assert sorted(entry["folds"]) == DOMAINS and "realnews" not in entry["in_domain"]
    assert results["config"]["train"]["seed"] == 5
    assert entry["in_domain"]["test"]["n"] == 9 and entry["in_domain"]["other"]["n"] == 9
    assert set(entry["mean"]) >= {"macro_f1", "f1_conditional"}
    table = (out / "lodo.md").read_text()
    assert "| tfidf_lr | 3 |" in table and "| sport |" in table and "other:" in table
    assert "LODO macro-F1" in capsys.readouterr().out


def test_curve_cli_writes_table_and_plot(experiment_config, tmp_path):
    out = tmp_path / "curve"
    code = main(
        [
            "curve",
            "--config",
            str(experiment_config),
            "--methods",
            "tfidf_lr",
            "--sizes",
            "6",
            "all",
            "--seeds",
            "1",
            "2",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    results = json.loads((out / "curve.json").read_text())
    summary = results["methods"]["tfidf_lr"]["summary"]
    assert summary["6"]["n_train"] == 6 and summary["all"]["n_train"] == 9 and summary["all"]["seeds"] == 2
    assert "| tfidf_lr |" in (out / "curve.md").read_text()
    assert (out / "curve.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_rejects_bad_input(experiment_config, tmp_path, capsys):
    args = ["lodo", "--config", str(experiment_config), "--out", str(tmp_path / "x"), "--methods", "tfidf_lr"]
    assert main([*args, "--domains", "space"]) == 2
    assert "unknown domain 'space'" in capsys.readouterr().err
    assert main([*args, "--extra", "nopath"]) == 2
    assert "expected name=path.jsonl" in capsys.readouterr().err


def test_setfit_data_uses_the_model_templates(pools):
    from stancelab.train.setfit_method import SetFitMethod, setfit_dataset

    pytest.importorskip("setfit")
    trainable, _ = pools
    config = load_config(None, [*FIXTURE_DATA, "model.template_a={speaker} on {target}", "model.template_b={text}"])
    data = setfit_dataset(trainable[:1], config)
    assert data["text"] == [f"Ana Ruiz on the trade deal || {trainable[0].text}"]
    assert data["label"] == ["support"]
    args = SetFitMethod(config, "unused", num_iterations=2, max_steps=3).training_arguments()
    assert (args.num_iterations, args.max_steps, args.max_length) == (2, 3, config.model.max_length)


@pytest.mark.slow
def test_setfit_end_to_end_on_the_tiny_encoder(pools, tiny_encoder, tmp_path):
    from stancelab.train.setfit_method import SetFitMethod

    pytest.importorskip("setfit")
    trainable, test_only = pools
    config = load_config(
        None, [*FIXTURE_DATA, f"model.name_or_path={tiny_encoder}", "model.max_length=48", "train.batch_size=4"]
    )
    method = SetFitMethod(config, tmp_path / "sf", num_iterations=1, max_steps=2).fit(trainable, test_only)
    assert set(method.predict(test_only)) <= set(LABELS)


def test_merge_joins_curves_of_separate_runs(experiment_config, tmp_path):
    args = ["curve", "--config", str(experiment_config), "--methods", "tfidf_lr", "--sizes", "6", "--seeds", "1"]
    assert main([*args, "--out", str(tmp_path / "one")]) == 0
    part = json.loads((tmp_path / "one" / "curve.json").read_text())
    other = {**part, "methods": {"copy": part["methods"]["tfidf_lr"]}, "sizes": ["all", "3"]}
    (tmp_path / "other.json").write_text(json.dumps(other))
    out = tmp_path / "merged"
    assert main(["merge", str(tmp_path / "one" / "curve.json"), str(tmp_path / "other.json"), "--out", str(out)]) == 0
    merged = json.loads((out / "curve.json").read_text())
    assert merged["sizes"] == ["3", "6", "all"] and sorted(merged["methods"]) == ["copy", "tfidf_lr"]
    assert (out / "curve.png").is_file()
    same = str(tmp_path / "one" / "curve.json")
    assert main(["merge", same, same, "--out", str(out)]) == 2  # a method twice
    assert main(["merge", same, "--rename", "tfidf_lr=tfidf_variant", "--out", str(tmp_path / "renamed")]) == 0
    assert list(json.loads((tmp_path / "renamed" / "curve.json").read_text())["methods"]) == ["tfidf_variant"]
    assert main(["merge", same, "--rename", "tfidf_lr", "--out", str(tmp_path / "renamed")]) == 2


def test_merge_joins_sizes_of_one_method_and_refuses_a_size_twice(experiment_config, tmp_path):
    base = ["curve", "--config", str(experiment_config), "--methods", "tfidf_lr", "--seeds", "1"]
    assert main([*base, "--sizes", "3", "--out", str(tmp_path / "small")]) == 0
    assert main([*base, "--sizes", "6", "--out", str(tmp_path / "large")]) == 0
    files = [str(tmp_path / name / "curve.json") for name in ("small", "large")]
    assert main(["merge", *files, "--out", str(tmp_path / "merged")]) == 0
    merged = json.loads((tmp_path / "merged" / "curve.json").read_text())
    assert merged["sizes"] == ["3", "6"] and sorted(merged["methods"]["tfidf_lr"]["summary"]) == ["3", "6"]
    assert main(["merge", files[0], files[0], "--out", str(tmp_path / "merged")]) == 2


def test_merge_joins_seeds_of_one_size_from_separate_jobs(experiment_config, tmp_path):
    base = ["curve", "--config", str(experiment_config), "--methods", "tfidf_lr", "--sizes", "6"]
    assert main([*base, "--seeds", "1", "2", "--out", str(tmp_path / "both")]) == 0
    for seed in ("1", "2"):
        assert main([*base, "--seeds", seed, "--out", str(tmp_path / seed)]) == 0
    files = [str(tmp_path / seed / "curve.json") for seed in ("1", "2")]
    assert main(["merge", *files, "--out", str(tmp_path / "merged")]) == 0
    merged = json.loads((tmp_path / "merged" / "curve.json").read_text())["methods"]["tfidf_lr"]["summary"]["6"]
    together = json.loads((tmp_path / "both" / "curve.json").read_text())["methods"]["tfidf_lr"]["summary"]["6"]
    assert merged["seeds"] == 2 and merged["mean"] == pytest.approx(together["mean"])
    assert merged["std"] == pytest.approx(together["std"])
    assert main(["merge", files[0], str(tmp_path / "both" / "curve.json"), "--out", str(tmp_path / "x")]) == 2


def test_merge_joins_lodo_runs_over_different_domains(experiment_config, tmp_path):
    base = ["lodo", "--config", str(experiment_config), "--methods", "tfidf_lr", "--no-in-domain"]
    for domain in DOMAINS[:2]:
        assert main([*base, "--domains", domain, "--out", str(tmp_path / domain)]) == 0
    files = [str(tmp_path / domain / "lodo.json") for domain in DOMAINS[:2]]
    assert main(["merge", *files, "--out", str(tmp_path / "merged")]) == 0
    merged = json.loads((tmp_path / "merged" / "lodo.json").read_text())
    entry = merged["methods"]["tfidf_lr"]
    assert sorted(entry["folds"]) == DOMAINS[:2]
    scores = [entry["folds"][d]["test"]["macro_f1"] for d in DOMAINS[:2]]
    assert entry["mean"]["macro_f1"] == pytest.approx(sum(scores) / 2)
    assert "selection_mean" in entry and (tmp_path / "merged" / "lodo.md").is_file()
    assert main(["merge", files[0], files[0], "--out", str(tmp_path / "merged")]) == 2  # a domain twice
    curve = tmp_path / "curve.json"
    curve.write_text(json.dumps({"experiment": "curve", "methods": {}, "sizes": [], "seeds": []}))
    assert main(["merge", files[0], str(curve), "--out", str(tmp_path / "merged")]) == 2  # two kinds


def test_a_domain_only_in_the_test_split_has_no_selection_score(pools):
    from stancelab.experiments.summaries import summarise_folds

    trainable, test_only = pools
    for ex in test_only:
        ex.domain = "space"
    fold = next(f for f in domain_folds(trainable, test_only) if f.domain == "space")
    assert fold.test and fold.selection == []
    metrics = {"macro_f1": 0.5, "labels": ["a"], "per_class": {"a": {"f1": 0.5}}}
    entry = {"folds": {"space": {"test": metrics}, "sport": {"test": metrics, "selection": metrics}}}
    summarise_folds(entry)
    assert entry["mean"]["macro_f1"] == 0.5 and entry["selection_mean"]["macro_f1"] == 0.5


def test_subset_writes_the_examples_a_curve_point_trains_on(experiment_config, tmp_path, capsys):
    from stancelab.data.schema import read_examples

    out = tmp_path / "n4.jsonl"
    assert main(["subset", "--config", str(experiment_config), "--size", "4", "--seed", "2", "--out", str(out)]) == 0
    assert "4 of 9 training examples (seed 2)" in capsys.readouterr().out
    train = read_examples(tmp_path / "train.jsonl")
    expected = nested_subsets(train, [4], 2)["4"]
    assert [ex.id for ex in read_examples(out)] == [ex.id for ex in expected]
    assert main(["subset", "--config", str(experiment_config), "--size", "many", "--out", str(out)]) == 2
    assert "--size: expected a number of examples or 'all', found 'many'" in capsys.readouterr().err
    assert main(["subset", "--config", str(experiment_config), "--size", "40", "--out", str(out)]) == 2
    assert "subset size 40 must be between 1 and the 9 training examples" in capsys.readouterr().err
