"""Generalisation experiments: leave-one-domain-out evaluation and learning curves, for several methods
on the same splits.

    python -m stancelab.experiments lodo --config configs/default.yaml --methods tfidf_lr frozen_lr [--domains sport]
    python -m stancelab.experiments indomain --config configs/default.yaml --methods finetune --extra realnews=PATH
    python -m stancelab.experiments curve --config configs/default.yaml --sizes 50 100 200 400 all --seeds 1 2 3 \
        --methods tfidf_lr frozen_lr

``lodo``: for each domain, train on the other domains' train+dev examples (a random 15% of their
ARTICLES held out as dev, for early stopping and model selection) and test on every example of the
held-out domain (its train, dev and test examples). The in-domain reference (train on train, select on
dev, score test) is run with the same settings unless ``--no-in-domain``; ``--extra name=path`` scores
the in-domain model on further labelled files (e.g. a real-news set). The test split is only ever
scored, never used for a choice. ``indomain`` runs the reference alone.

``curve``: for each seed, one random order of the train split; the first n examples form the subset of
size n (so the subsets of one seed are nested). Each method trains on the subset, selects on dev as it
normally does, and is scored on dev. ``merge`` joins the ``curve.json`` of separate runs (say one per
method, each with its own budget) into one table and one plot, or the ``lodo.json`` of runs over
different held-out domains into one leave-domain-out result::

    python -m stancelab.experiments merge experiments/curve_*/curve.json --out experiments/curve

``subset`` writes the training examples of one curve point as JSONL, so a model can be trained on exactly
that subset with ``python -m stancelab.train ... data.train=<file>``.

Methods (``--methods``): finetune (``stancelab.train``), tfidf_lr and frozen_lr (the floor, as in
``stancelab.baselines``), setfit (``stancelab.setfit_method``), entailment (``stancelab.entailment``).
Every method has ``fit(train, dev) -> self`` and ``predict(examples) -> labels``. Results go to
``--out`` as JSON and a Markdown table (and ``curve.png``); model runs go under ``--work-dir`` and are
deleted once scored unless ``--keep-runs``.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.benchmarks import read_split
from stancelab.config import Config, ConfigError, load_config
from stancelab.io import InputError, atomic_write_json, atomic_write_text, read_text
from stancelab.metrics import bootstrap_macro_f1, classification_metrics
from stancelab.schema import Example, read_examples, write_examples

METHODS = ("finetune", "tfidf_lr", "frozen_lr", "setfit", "entailment")


# ---------------------------------------------------------------------------------------------- splits


@dataclass
class DomainFold:
    """One leave-domain-out fold: train and dev from the other domains, test = the held-out domain.

    ``selection`` is the held-out domain without its test-split examples: configurations are compared on
    it, so that choosing one never looks at the test split.
    """

    domain: str
    train: list[Example]
    dev: list[Example]
    test: list[Example]
    selection: list[Example] = field(default_factory=list)


def article_holdout(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """(train, dev): a random ``fraction`` of the articles (at least one) goes to dev, whole.

    >>> train, dev = article_holdout(examples, 0.15, seed=13)  # doctest: +SKIP
    """
    if not 0 < fraction < 1:
        raise InputError(f"dev fraction must be between 0 and 1 (exclusive), found {fraction}.")
    articles = sorted({ex.article_id for ex in examples})
    if len(articles) < 2:
        raise InputError(f"a grouped dev split needs at least 2 articles, found {len(articles)}.")
    random.Random(seed).shuffle(articles)
    dev_articles = set(articles[: max(1, round(fraction * len(articles)))])
    return [ex for ex in examples if ex.article_id not in dev_articles], [
        ex for ex in examples if ex.article_id in dev_articles
    ]


def domain_folds(
    trainable: list[Example],
    test_only: list[Example],
    domains: list[str] | None = None,
    *,
    dev_fraction: float = 0.15,
    seed: int = 13,
) -> list[DomainFold]:
    """One fold per held-out domain (all domains when ``domains`` is None).

    ``trainable`` (train+dev splits) feeds training and the grouped dev of the other domains;
    ``test_only`` (the test split) is only ever scored, as part of its own domain's test set.
    """
    pool = trainable + test_only
    missing = [ex.id for ex in pool if not ex.domain]
    if missing:
        raise InputError(
            f"leave-domain-out needs a 'domain' on every example; {missing[0]!r} and {len(missing) - 1} "
            "more have none. Use a corpus with domains (python -m stancelab.corpus prepare)."
        )
    available = sorted({ex.domain for ex in pool})
    unknown = [d for d in domains or [] if d not in available]
    if unknown:
        raise InputError(f"unknown domain {unknown[0]!r}; the data has {', '.join(available)}.")
    folds = []
    for domain in domains or available:
        others = [ex for ex in trainable if ex.domain != domain]
        train, dev = article_holdout(others, dev_fraction, seed)
        held_out = [ex for ex in pool if ex.domain == domain]
        folds.append(DomainFold(domain, train, dev, held_out, [ex for ex in trainable if ex.domain == domain]))
    return folds


def nested_subsets(examples: list[Example], sizes: list[int | str], seed: int) -> dict[str, list[Example]]:
    """``{size: subset}``: prefixes of one seeded random order, so smaller subsets sit inside larger ones.

    ``"all"`` is the whole list. Keys are strings ("50", "all") so they survive a JSON round trip.
    """
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    subsets = {}
    for size in sizes:
        n = len(examples) if size == "all" else int(size)
        if not 0 < n <= len(examples):
            raise InputError(f"subset size {size} must be between 1 and the {len(examples)} training examples.")
        subsets[str(size)] = [examples[i] for i in order[:n]]
    return subsets


# --------------------------------------------------------------------------------------------- methods


class LogisticBaseline:
    """TF-IDF or frozen-encoder features + logistic regression, C chosen on dev macro-F1 (``baselines``).

    ``cache`` maps input text -> embedding, so folds that share examples embed each text once.
    """

    def __init__(self, config: Config, features: str, cache: dict[str, np.ndarray] | None = None):
        self.config = config
        self.features = features  # "tfidf" or "frozen"
        self.cache = {} if cache is None else cache

    def fit(self, train: list[Example], dev: list[Example]) -> LogisticBaseline:
        from sklearn.metrics import f1_score

        from stancelab.baselines import C_GRID, logistic_model, tfidf_lr_model

        make = tfidf_lr_model if self.features == "tfidf" else logistic_model
        x_train, x_dev = self._inputs(train), self._inputs(dev)
        labels = list(self.config.data.labels)
        best = None
        for c in C_GRID:
            model = make(c).fit(x_train, [ex.label for ex in train])
            score = f1_score(
                [ex.label for ex in dev], model.predict(x_dev), labels=labels, average="macro", zero_division=0
            )
            if best is None or score > best[0]:
                best = (score, c, model)
        _, self.C_, self.model_ = best
        return self

    def predict(self, examples: list[Example]) -> list[str]:
        return [str(label) for label in self.model_.predict(self._inputs(examples))] if examples else []

    def _inputs(self, examples: list[Example]) -> Any:
        from stancelab.baselines import embed, input_texts

        texts = input_texts(examples, self.config)
        if self.features == "tfidf":
            return texts
        new = sorted({t for t in texts if t not in self.cache})
        if new:
            self.cache.update(zip(new, embed(new, self.config)))
        return np.stack([self.cache[t] for t in texts])


class FineTune:
    """The project's fine-tune (``stancelab.train.train``) on given examples, without baselines or reports
    beyond what a run writes; the dev examples serve early stopping and calibration."""

    def __init__(self, config: Config, work_dir: str | Path):
        self.config = config
        self.work_dir = Path(work_dir)

    def fit(self, train: list[Example], dev: list[Example]) -> FineTune:
        from stancelab.predict import load_model
        from stancelab.train import train as train_run

        config = copy.deepcopy(self.config)
        config.data.format = "stancelab"  # the examples are written in the project's schema below
        config.data.train = str(write_examples(self.work_dir / "data" / "train.jsonl", train))
        config.data.dev = config.data.test = str(write_examples(self.work_dir / "data" / "dev.jsonl", dev))
        config.eval.baselines = []
        config.train.output_dir, config.train.run_name = str(self.work_dir), "run"
        train_run(config, self.work_dir / "run", overwrite=True)
        self.model_ = load_model(self.work_dir / "run")
        return self

    def predict(self, examples: list[Example]) -> list[str]:
        from stancelab.predict import predict

        return [row["label"] for row in predict(examples, self.model_)]


def make_method(name: str, config: Config, work_dir: Path, options: dict[str, Any]) -> Any:
    """A fresh, unfitted method. ``options``: embedding cache and SetFit budget (see ``main``)."""
    if name == "finetune":
        return FineTune(config, work_dir)
    if name in ("tfidf_lr", "frozen_lr"):
        return LogisticBaseline(config, name.split("_")[0], options.get("cache"))
    if name == "setfit":
        from stancelab.setfit_method import SetFitMethod

        return SetFitMethod(
            config,
            work_dir,
            num_iterations=options.get("setfit_iterations"),
            max_steps=options.get("setfit_steps", -1),
        )
    if name == "entailment":
        from stancelab.entailment import EntailmentMethod

        return EntailmentMethod(config, work_dir)
    raise ConfigError(f"unknown method {name!r}; choose from {', '.join(METHODS)}.")


def fit_and_score(
    method: Any, train: list[Example], dev: list[Example], evals: dict[str, list[Example]], labels: list[str]
) -> dict[str, Any]:
    """Fit once, then score every evaluation set: ``{"n_train", "n_dev", "fit_seconds", name: metrics}``."""
    start = time.perf_counter()
    method.fit(train, dev)
    result: dict[str, Any] = {
        "n_train": len(train),
        "n_dev": len(dev),
        "fit_seconds": round(time.perf_counter() - start, 1),
    }
    pooled = [ex for examples in evals.values() for ex in examples]
    predicted = method.predict(pooled)  # one call: models load and embed once
    begin = 0
    for name, examples in evals.items():
        gold, pred = [ex.label for ex in examples], predicted[begin : begin + len(examples)]
        result[name] = classification_metrics(gold, pred, labels)
        result[name]["macro_f1_ci"] = list(bootstrap_macro_f1(gold, pred, labels))
        begin += len(examples)
    return result


# ----------------------------------------------------------------------------------------- experiments


def run_lodo(
    config: Config,
    methods: list[str],
    *,
    domains: list[str] | None,
    in_domain: bool,
    extras: dict[str, list[Example]],
    dev_fraction: float,
    out_dir: Path,
    options: dict[str, Any],
) -> dict[str, Any]:
    """Leave-domain-out folds (``domains=[]``: none) and the in-domain reference, per method."""
    splits = {name: read_split(getattr(config.data, name), config.data) for name in ("train", "dev", "test")}
    folds = (
        []
        if domains == []
        else domain_folds(
            splits["train"] + splits["dev"], splits["test"], domains, dev_fraction=dev_fraction, seed=config.train.seed
        )
    )
    labels = list(config.data.labels)
    results: dict[str, Any] = {
        "experiment": "lodo",
        "dev_fraction": dev_fraction,
        "config": config.to_dict(),
        "methods": {},
    }
    for name in methods:
        entry = results["methods"].setdefault(name, {"folds": {}})
        if in_domain:
            method = make_method(name, config, _work(options, name, "in-domain"), options)
            evals = {"test": splits["test"], **extras}
            entry["in_domain"] = _scored(method, splits["train"], splits["dev"], evals, labels, options, name)
            _save_lodo(results, out_dir)
        for fold in folds:
            method = make_method(name, config, _work(options, name, fold.domain), options)
            # a domain that lies wholly in the test split has nothing to choose configurations on
            evals = {"test": fold.test, **({"selection": fold.selection} if fold.selection else {})}
            entry["folds"][fold.domain] = _scored(method, fold.train, fold.dev, evals, labels, options, name)
            summarise_folds(entry)
            _save_lodo(results, out_dir)
    return results


def run_curve(
    config: Config, methods: list[str], *, sizes: list[str], seeds: list[int], out_dir: Path, options: dict[str, Any]
) -> dict[str, Any]:
    """Dev macro-F1 per method, training-set size and seed, with mean and std over seeds."""
    splits = {name: read_split(getattr(config.data, name), config.data) for name in ("train", "dev")}
    labels = list(config.data.labels)
    results: dict[str, Any] = {
        "experiment": "curve",
        "sizes": sizes,
        "seeds": seeds,
        "config": config.to_dict(),
        "methods": {},
    }
    for name in methods:
        entry = results["methods"].setdefault(name, {"runs": {}, "summary": {}})
        for seed in seeds:
            seeded = copy.deepcopy(config)
            seeded.train.seed = seed
            for size, subset in nested_subsets(splits["train"], sizes, seed).items():
                method = make_method(name, seeded, _work(options, name, f"n{size}-seed{seed}"), options)
                run = _scored(method, subset, splits["dev"], {"dev": splits["dev"]}, labels, options, name)
                entry["runs"].setdefault(size, {})[str(seed)] = run
                mean, std = summarise([r["dev"] for r in entry["runs"][size].values()])
                entry["summary"][size] = {
                    "n_train": len(subset),
                    "seeds": len(entry["runs"][size]),
                    "mean": mean,
                    "std": std,
                }
                _save_curve(results, out_dir)
    return results


def _work(options: dict[str, Any], method: str, part: str) -> Path:
    return Path(options["work_dir"]) / method / part


def _scored(method: Any, train, dev, evals, labels, options: dict[str, Any], name: str) -> dict[str, Any]:
    """fit_and_score, then drop the method's run directory unless asked to keep it."""
    result = fit_and_score(method, train, dev, evals, labels)
    print(
        f"{name}: n_train={len(train)} " + " ".join(f"{k}={result[k]['macro_f1']:.3f}" for k in evals), file=sys.stderr
    )
    work_dir = getattr(method, "work_dir", None)
    if work_dir is not None and not options.get("keep_runs"):
        shutil.rmtree(work_dir, ignore_errors=True)
    return result


def summarise_folds(entry: dict[str, Any]) -> None:
    """Set a method's LODO mean and std over its folds, and over the folds scored without test-split
    examples ("selection"), where there are any."""
    folds = list(entry["folds"].values())
    if folds:
        entry["mean"], entry["std"] = summarise([f["test"] for f in folds])
    chosen_on = [f["selection"] for f in folds if "selection" in f]
    if chosen_on:
        entry["selection_mean"], entry["selection_std"] = summarise(chosen_on)


def summarise(metrics: list[dict[str, Any]]) -> tuple[dict[str, float], dict[str, float]]:
    """Mean and standard deviation (ddof=1; 0 for one value) of macro-F1 and per-label F1."""
    values: dict[str, list[float]] = {"macro_f1": [m["macro_f1"] for m in metrics]}
    for label in metrics[0]["labels"]:
        values[f"f1_{label}"] = [m["per_class"][label]["f1"] for m in metrics]
    mean = {k: float(np.mean(v)) for k, v in values.items()}
    std = {k: float(np.std(v, ddof=1)) if len(v) > 1 else 0.0 for k, v in values.items()}
    return mean, std


# -------------------------------------------------------------------------------------------- reports


def lodo_markdown(results: dict[str, Any]) -> str:
    """A summary table (one row per method) and a per-domain table per method."""
    lines = [
        "| method | held-out domains | LODO macro-F1 (mean ± std) | LODO without test-split examples (for "
        "choosing configs) | in-domain test macro-F1 | gap | LODO F1 conditional | extra sets (macro-F1 / F1 "
        "conditional) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in results["methods"].items():
        mean, std, ref = entry.get("mean"), entry.get("std"), entry.get("in_domain")
        lodo = f"{mean['macro_f1']:.3f} ± {std['macro_f1']:.3f}" if mean else "-"
        chosen_on = entry.get("selection_mean")
        selection = f"{chosen_on['macro_f1']:.3f} ± {entry['selection_std']['macro_f1']:.3f}" if chosen_on else "-"
        test = f"{ref['test']['macro_f1']:.3f}" if ref else "-"
        gap = f"{mean['macro_f1'] - ref['test']['macro_f1']:+.3f}" if mean and ref else "-"
        cond = f"{mean['f1_conditional']:.3f}" if mean and "f1_conditional" in mean else "-"
        extra = ", ".join(
            f"{k}: {v['macro_f1']:.3f} / {v['per_class'].get('conditional', {}).get('f1', float('nan')):.3f}"
            for k, v in (ref or {}).items()
            if isinstance(v, dict) and "macro_f1" in v and k != "test"
        )
        lines.append(
            f"| {name} | {len(entry['folds'])} | {lodo} | {selection} | {test} | {gap} | {cond} | {extra or '-'} |"
        )
    for name, entry in results["methods"].items():
        if entry["folds"]:
            lines += ["", f"### {name}", "", *_per_label_table(entry["folds"], "domain")]
    return "\n".join(lines) + "\n"


def _per_label_table(rows: dict[str, dict[str, Any]], key: str) -> list[str]:
    labels = next(iter(rows.values()))["test"]["labels"]
    out = [
        f"| {key} | n train | n test | macro-F1 | " + " | ".join(f"F1 {lb}" for lb in labels) + " | fit s |",
        "|---|---|---|---|" + "---|" * len(labels) + "---|",
    ]
    for name, row in rows.items():
        m = row["test"]
        per = " | ".join(f"{m['per_class'][lb]['f1']:.3f}" for lb in labels)
        out.append(f"| {name} | {row['n_train']} | {m['n']} | {m['macro_f1']:.3f} | {per} | {row['fit_seconds']} |")
    return out


def curve_markdown(results: dict[str, Any]) -> str:
    """Dev macro-F1 (mean ± std over seeds) per method and training-set size."""
    sizes = results["sizes"]
    lines = ["| method | " + " | ".join(f"n={s}" for s in sizes) + " |", "|---|" + "---|" * len(sizes)]
    for name, entry in results["methods"].items():
        cells = []
        for size in sizes:
            s = entry["summary"].get(str(size))
            cells.append(f"{s['mean']['macro_f1']:.3f} ± {s['std']['macro_f1']:.3f} ({s['seeds']})" if s else "-")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Cells: dev macro-F1, mean ± std over seeds (number of seeds)."]
    return "\n".join(lines) + "\n"


def plot_curve(results: dict[str, Any], path: Path) -> Path:
    """Dev macro-F1 against training-set size, one line per method, error bars = std over seeds."""
    from stancelab.viz import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    sizes = set()
    for name, entry in results["methods"].items():
        points = sorted((s["n_train"], s["mean"]["macro_f1"], s["std"]["macro_f1"]) for s in entry["summary"].values())
        if points:
            x, y, err = zip(*points)
            ax.errorbar(x, y, yerr=err, marker="o", capsize=4, label=name)
            sizes.update(x)
    ax.set(xscale="log", xlabel="training examples (log scale)", ylabel="dev macro-F1", title="Learning curves")
    ax.set_xticks(sorted(sizes), [str(n) for n in sorted(sizes)])
    ax.minorticks_off()
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)


def merge_curves(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One curve result from several: methods side by side, sizes in training-set order ("all" last).

    A method may come from several files (say n=50-100 from one run, n=200 from another, or seeds 1 and 2
    of one size from two jobs), as long as no (size, seed) of it appears twice; a size's mean and std are
    recomputed over the seeds joined.
    """
    merged: dict[str, Any] = {"experiment": "curve", "methods": {}, "merged_from": len(parts)}
    for part in parts:
        for name, entry in part["methods"].items():
            into = merged["methods"].setdefault(name, {"runs": {}, "summary": {}})
            for size, seeds in entry.get("runs", {}).items():
                joined = into["runs"].setdefault(size, {})
                twice = sorted(set(joined) & set(seeds))
                if twice:
                    raise InputError(
                        f"merge: method {name!r} has n={size}, seed {twice[0]} in more than one curve file; "
                        "pass each result once."
                    )
                joined.update(seeds)
            for size, summary in entry["summary"].items():
                runs = into["runs"].get(size)
                if not runs:  # a file without per-seed runs: its summary is all there is
                    if size in into["summary"]:
                        raise InputError(f"merge: method {name!r} has n={size} in more than one curve file.")
                    into["summary"][size] = summary
                    continue
                mean, std = summarise([run["dev"] for run in runs.values()])
                into["summary"][size] = {"n_train": summary["n_train"], "seeds": len(runs), "mean": mean, "std": std}
    sizes = {size for part in parts for size in part["sizes"]}
    merged["sizes"] = sorted(sizes, key=lambda s: (s == "all", int(s) if s != "all" else 0))
    merged["seeds"] = sorted({seed for part in parts for seed in part["seeds"]})
    return merged


def merge_lodo(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One leave-domain-out result from several runs over different held-out domains (a long run split into
    jobs, or resumed with ``--domains``); means are recomputed over the union of folds."""
    merged: dict[str, Any] = {"experiment": "lodo", "methods": {}, "merged_from": len(parts)}
    for key in ("dev_fraction", "config"):
        merged[key] = parts[0].get(key)
    for part in parts:
        for name, entry in part["methods"].items():
            into = merged["methods"].setdefault(name, {"folds": {}})
            twice = sorted(set(into["folds"]) & set(entry["folds"]))
            if twice:
                raise InputError(f"merge: method {name!r} has domain {twice[0]!r} in more than one lodo file.")
            into["folds"].update(entry["folds"])
            if "in_domain" in entry:
                into["in_domain"] = entry["in_domain"]
    for entry in merged["methods"].values():
        summarise_folds(entry)
    return merged


def _save_lodo(results: dict[str, Any], out_dir: Path) -> None:
    atomic_write_json(out_dir / "lodo.json", results)
    atomic_write_text(out_dir / "lodo.md", lodo_markdown(results))


def _save_curve(results: dict[str, Any], out_dir: Path) -> None:
    atomic_write_json(out_dir / "curve.json", results)
    atomic_write_text(out_dir / "curve.md", curve_markdown(results))
    plot_curve(results, out_dir / "curve.png")


# ------------------------------------------------------------------------------------------------ CLI


def parse_extras(items: list[str], labels: list[str]) -> dict[str, list[Example]]:
    """``name=path`` pairs -> labelled examples read in the project's schema."""
    extras = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path or name == "test":
            raise InputError(f"--extra {item!r}: expected name=path.jsonl with a name other than 'test'.")
        extras[name] = read_examples(path, labels=tuple(labels), require_label=True)
    return extras


def write_subset(config: Config, size: str, seed: int, out: Path) -> int:
    """Write the ``size`` training examples that ``curve`` trains on for ``seed`` (``nested_subsets``)."""
    train = read_split(config.data.train, config.data)
    key = size if size == "all" else str(_size(size))  # "0200" and "200" name the same subset
    subset = nested_subsets(train, [key], seed)[key]
    write_examples(out, subset)
    counts = {label: sum(ex.label == label for ex in subset) for label in config.data.labels}
    print(f"{out}: {len(subset)} of {len(train)} training examples (seed {seed}); {counts}")
    return 0


def _size(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError(f"--size: expected a number of examples or 'all', found {text!r}.") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stancelab.experiments", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    merge = commands.add_parser("merge", help="join curve.json (or lodo.json) files into one result")
    merge.add_argument("files", nargs="+")
    merge.add_argument("--out", default="experiments/curve")
    merge.add_argument(
        "--rename",
        nargs="+",
        default=[],
        metavar="OLD=NEW",
        help="store method OLD as NEW (say finetune=finetune_cls, to put two variants of one method side by side)",
    )
    subset = commands.add_parser(
        "subset", help="write the training subset a curve point trains on (to train on it with stancelab.train)"
    )
    subset.add_argument("--config", required=True)
    subset.add_argument("--size", required=True, help="number of training examples, or 'all'")
    subset.add_argument("--seed", type=int, default=1)
    subset.add_argument("--out", required=True, help="JSONL file to write")
    subset.add_argument("overrides", nargs="*", help="section.key=value")
    for command in ("lodo", "indomain", "curve"):
        sub = commands.add_parser(command)
        sub.add_argument("--config", required=True)
        sub.add_argument("--methods", nargs="+", choices=METHODS, default=["tfidf_lr", "frozen_lr"])
        sub.add_argument("--out", help="results folder (default experiments/<command>)")
        sub.add_argument("--work-dir", help="model runs (default <train.output_dir>/experiments/<command>)")
        sub.add_argument("--keep-runs", action="store_true", help="keep every trained model")
        sub.add_argument(
            "--setfit-iterations", type=int, help="SetFit pairs per example (default: setfit.num_iterations)"
        )
        sub.add_argument("--setfit-steps", type=int, default=-1, help="cap on SetFit contrastive steps")
        sub.add_argument("overrides", nargs="*", help="section.key=value")
        if command in ("lodo", "indomain"):
            sub.add_argument(
                "--extra",
                action="append",
                default=[],
                metavar="NAME=PATH",
                help="another labelled set for the in-domain model to score; repeat the flag for several",
            )
        if command == "lodo":
            sub.add_argument("--domains", nargs="+", help="held-out domains (default: all)")
            sub.add_argument(
                "--dev-fraction", type=float, default=0.15, help="share of training articles held out as dev"
            )
            sub.add_argument("--no-in-domain", action="store_true", help="skip the in-domain reference")
        if command == "curve":
            sub.add_argument("--sizes", nargs="+", default=["50", "100", "200", "400", "all"])
            sub.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    return parser


def rename_methods(part: dict[str, Any], renames: list[str]) -> dict[str, Any]:
    """The result with its methods renamed by ``OLD=NEW`` pairs; methods not named are kept as they are."""
    mapping = {}
    for item in renames:
        old, sep, new = item.partition("=")
        if not sep or not old or not new:
            raise InputError(f"merge --rename: expected OLD=NEW (say finetune=finetune_cls), found {item!r}.")
        mapping[old] = new
    return {**part, "methods": {mapping.get(name, name): entry for name, entry in part["methods"].items()}}


def _merge(files: list[str], out_dir: Path, renames: list[str] | None = None) -> int:
    parts = [rename_methods(json.loads(read_text(Path(f))), renames or []) for f in files]
    kinds = {part.get("experiment") for part in parts}
    if len(kinds) != 1 or kinds - {"curve", "lodo"}:
        raise InputError(
            f"merge: expected curve.json files or lodo.json files, one kind at a time; found {sorted(map(str, kinds))}."
        )
    if kinds == {"lodo"}:
        results = merge_lodo(parts)
        _save_lodo(results, out_dir)
        print(lodo_markdown(results))
    else:
        results = merge_curves(parts)
        _save_curve(results, out_dir)
        print(curve_markdown(results))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "merge":
            return _merge(args.files, Path(args.out), args.rename)
        config = load_config(args.config, args.overrides)
        if args.command == "subset":
            return write_subset(config, args.size, args.seed, Path(args.out))
        out_dir = Path(args.out or f"experiments/{args.command}")
        options = {
            "work_dir": args.work_dir or str(Path(config.train.output_dir) / "experiments" / args.command),
            "keep_runs": args.keep_runs,
            "cache": {},
            "setfit_iterations": args.setfit_iterations,
            "setfit_steps": args.setfit_steps,
        }
        if args.command == "curve":
            results = run_curve(
                config, args.methods, sizes=args.sizes, seeds=args.seeds, out_dir=out_dir, options=options
            )
            print(curve_markdown(results))
            return 0
        lodo = args.command == "lodo"
        results = run_lodo(
            config,
            args.methods,
            domains=args.domains if lodo else [],
            in_domain=not (lodo and args.no_in_domain),
            extras=parse_extras(args.extra, list(config.data.labels)),
            dev_fraction=args.dev_fraction if lodo else 0.15,
            out_dir=out_dir,
            options=options,
        )
    except (InputError, ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(lodo_markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
