"""Active learning with a simulated annotator: how many labels does choosing by uncertainty save?

    python -m stancelab.annotate simulate [--set budget=600 batch=20]

The pool is the corpus train split with its labels hidden; the simulated annotator reveals the gold label
of each example a strategy asks for. Each round refits the learner on the labels revealed so far and
scores macro-F1 on the dev split. The learner is the project's TF-IDF + logistic regression baseline
(``stancelab.baselines.tfidf_lr_model``, on the same input string as the baselines), refitted from
scratch each round: cheap enough for every round, strategy and seed on two CPU cores. The test split is
never read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

from stancelab.annotate.select import STRATEGIES, select_batch
from stancelab.config import load_config
from stancelab.data.io import InputError, atomic_write_json, atomic_write_text
from stancelab.data.schema import Example, read_examples
from stancelab.evaluate.baselines import tfidf_lr_model
from stancelab.models.inputs import input_texts


@dataclass
class SimulationConfig:
    pool: str = "data/processed/train.jsonl"  # labelled pool; labels are revealed only when asked for
    dev: str = "data/processed/dev.jsonl"  # scored every round (macro-F1)
    strategies: tuple[str, ...] = STRATEGIES
    seeds: tuple[int, ...] = (1, 2, 3)
    initial: int = 20  # random labels before the first model (the same for every strategy of a seed)
    batch: int = 20  # labels asked for per round
    budget: int = 600  # labels at which the simulation stops
    per_article: int = 2  # diversity cap per batch, as in `annotate select`
    C: float = 1.0  # logistic regression regularisation, fixed (choosing it on dev each round would tune on dev)
    out: str = "experiments/active_learning"

    @classmethod
    def from_overrides(cls, overrides: dict[str, str]) -> SimulationConfig:
        """``{"budget": "400"}`` -> a config; unknown keys are rejected with the valid ones listed."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - set(known))
        if unknown:
            raise InputError(f"simulate: unknown setting {unknown[0]!r}; valid: {', '.join(known)}.")
        values: dict[str, Any] = {}
        for key, text in overrides.items():
            default = getattr(cls(), key)
            if isinstance(default, tuple):
                kind = type(default[0])
                values[key] = tuple(kind(x) for x in text.split(","))
            else:
                values[key] = type(default)(text)
        return cls(**values)


def check_splits(config: SimulationConfig) -> None:
    """The experiment must never see a test split or the shared real-news data."""
    for name in ("pool", "dev"):
        path = str(getattr(config, name))
        if "test" in Path(path).name or "realnews" in path:
            raise InputError(f"simulate: {name}={path!r} looks like a test split or real-news data, which this "
                             "experiment must not read. Use the corpus train and dev splits.")


def learning_curve(pool: list[Example], dev: list[Example], strategy: str, seed: int,
                   config: SimulationConfig) -> list[dict[str, float]]:
    """``[{"labels": n, "macro_f1": f}, ...]`` for one strategy and seed."""
    labels = sorted({ex.label for ex in pool})
    texts, gold = _texts(pool), np.array([ex.label for ex in pool])
    dev_texts, dev_gold = _texts(dev), [ex.label for ex in dev]
    groups = [ex.article_id for ex in pool]
    rng = np.random.default_rng(seed)
    labelled = list(rng.choice(len(pool), size=config.initial, replace=False))
    curve = []
    while True:
        model = tfidf_lr_model(config.C).fit([texts[i] for i in labelled], gold[labelled])
        f1 = f1_score(dev_gold, model.predict(dev_texts), labels=labels, average="macro", zero_division=0)
        curve.append({"labels": len(labelled), "macro_f1": float(f1)})
        if len(labelled) >= min(config.budget, len(pool)):
            return curve
        rest = np.setdiff1d(np.arange(len(pool)), labelled)
        probs = model.predict_proba([texts[i] for i in rest])
        n = min(config.batch, config.budget - len(labelled), len(rest))
        picked = select_batch(probs, [groups[i] for i in rest], n, strategy, config.per_article,
                              seed=seed * 1000 + len(labelled))
        labelled += [int(rest[i]) for i in picked]


def _texts(examples: list[Example]) -> list[str]:
    return input_texts(examples, load_config(None).model)


def full_pool_f1(pool: list[Example], dev: list[Example], config: SimulationConfig) -> float:
    """The learner on every pool label: the ceiling the curves approach."""
    labels = sorted({ex.label for ex in pool})
    model = tfidf_lr_model(config.C).fit(_texts(pool), [ex.label for ex in pool])
    return float(f1_score([ex.label for ex in dev], model.predict(_texts(dev)), labels=labels, average="macro"))


def mean_curves(curves: dict[str, dict[int, list[dict[str, float]]]]) -> dict[str, dict[str, list[float]]]:
    """Per strategy: label counts, mean and std of macro-F1 over the seeds."""
    out = {}
    for strategy, by_seed in curves.items():
        runs = list(by_seed.values())
        f1 = np.array([[point["macro_f1"] for point in run] for run in runs])  # (seeds, rounds)
        out[strategy] = {"labels": [p["labels"] for p in runs[0]], "mean": f1.mean(0).round(4).tolist(),
                         "std": f1.std(0).round(4).tolist()}
    return out


def labels_to_reach(curve: dict[str, list[float]], f1: float) -> int | None:
    """The fewest labels at which a mean curve reaches ``f1`` (None if it never does)."""
    for n, value in zip(curve["labels"], curve["mean"]):
        if value >= f1:
            return n
    return None


def savings(means: dict[str, dict[str, list[float]]], at: tuple[int, ...]) -> list[dict[str, Any]]:
    """For random's mean F1 at each label count in ``at``: the labels each strategy needs for the same F1."""
    rows = []
    random_curve = means["random"]
    for n in at:
        if n not in random_curve["labels"]:
            continue
        target = random_curve["mean"][random_curve["labels"].index(n)]
        row: dict[str, Any] = {"random_labels": n, "random_f1": target}
        for strategy in (s for s in means if s != "random"):
            need = labels_to_reach(means[strategy], target)
            row[f"{strategy}_labels"] = need
            row[f"{strategy}_saved"] = None if need is None else n - need
        rows.append(row)
    return rows


def run_simulation(config: SimulationConfig) -> dict[str, Any]:
    """Run every strategy and seed, write results.json, results.md and curve.png to ``config.out``."""
    check_splits(config)
    pool = read_examples(config.pool, require_label=True)
    dev = read_examples(config.dev, require_label=True)
    curves = {s: {seed: learning_curve(pool, dev, s, seed, config) for seed in config.seeds} for s in config.strategies}
    means = mean_curves(curves)
    result = {
        "config": dataclasses.asdict(config),
        "learner": "TF-IDF (word 1-2 grams, sublinear tf) + class-balanced logistic regression, C fixed",
        "pool_size": len(pool), "dev_size": len(dev), "full_pool_f1": round(full_pool_f1(pool, dev, config), 4),
        "curves": {s: {str(k): v for k, v in by_seed.items()} for s, by_seed in curves.items()},
        "mean": means,
    }
    result["summary"] = {"savings": savings(means, (100, 200, 300, 400, 600)), "full_pool_f1": result["full_pool_f1"]}
    out = Path(config.out)
    atomic_write_json(out / "results.json", result)
    atomic_write_text(out / "results.md", results_table(result))
    plot_curves(means, result["full_pool_f1"], out / "curve.png", len(pool))
    return result


def results_table(result: dict[str, Any], at: tuple[int, ...] = (20, 60, 100, 200, 300, 400, 600)) -> str:
    """Markdown: mean ± std dev macro-F1 per strategy at some label counts, then the labels saved."""
    means = result["mean"]
    counts = [n for n in at if n in next(iter(means.values()))["labels"]]
    lines = ["| strategy | " + " | ".join(f"{n} labels" for n in counts) + " |", "|---|" + "---|" * len(counts)]
    for strategy, curve in means.items():
        cells = [f"{curve['mean'][curve['labels'].index(n)]:.3f} ± {curve['std'][curve['labels'].index(n)]:.3f}"
                 for n in counts]
        lines.append(f"| {strategy} | " + " | ".join(cells) + " |")
    lines += ["", f"All {result['pool_size']} pool labels: macro-F1 {result['full_pool_f1']:.3f} on dev "
              f"({result['dev_size']} examples).", "",
              "| random labels | random F1 | " + " | ".join(
                  f"{s} labels for the same F1 (saved)" for s in means if s != "random") + " |",
              "|---|---|" + "---|" * (len(means) - 1)]
    for row in result["summary"]["savings"]:
        cells = [f"{row[f'{s}_labels']} ({row[f'{s}_saved']})" if row[f"{s}_labels"] else "not reached"
                 for s in means if s != "random"]
        lines.append(f"| {row['random_labels']} | {row['random_f1']:.3f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_curves(means: dict[str, dict[str, list[float]]], ceiling: float, path: Path, pool_size: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for strategy, curve in means.items():
        x, m, s = np.array(curve["labels"]), np.array(curve["mean"]), np.array(curve["std"])
        ax.plot(x, m, label=strategy)
        ax.fill_between(x, m - s, m + s, alpha=0.2)
    ax.axhline(ceiling, color="grey", linestyle="--", linewidth=1, label=f"all {pool_size} labels")
    ax.set_xlabel("labels used")
    ax.set_ylabel("dev macro-F1 (mean ± std, 3 seeds)")
    ax.set_title("Active learning, TF-IDF + LR, simulated annotator")
    ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)

