"""The next batch to label: where the current model is least sure, spread across articles.

    >>> probs = np.array([[0.34, 0.33, 0.33], [0.98, 0.01, 0.01], [0.5, 0.5, 0.0]])
    >>> select_batch(probs, ["a1", "a1", "a2"], n=2, strategy="margin").tolist()
    [2, 0]

``uncertainty`` ranks by the entropy of the predicted distribution, ``margin`` by how close the two most
probable labels are, ``random`` by a seeded shuffle (the baseline). Diversity: at most ``per_article``
examples of one article per batch, so a batch is not ten sentences of one story; when there are too
few articles for the batch, the cap is raised one step at a time until the batch is full.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from stancelab.data.io import InputError

STRATEGIES = ("uncertainty", "margin", "random")
PER_ARTICLE = 2  # examples of one article per batch, before the cap has to be raised


@dataclass
class SelectConfig:
    """How a batch is chosen."""

    strategy: str = "uncertainty"  # uncertainty (entropy), margin, or random
    n: int = 200  # batch size
    per_article: int = PER_ARTICLE  # diversity cap: examples of one article per batch
    seed: int = 0  # random strategy, and ties between equal scores


def scores(probs: np.ndarray, strategy: str, seed: int = 0) -> np.ndarray:
    """Higher = label it sooner. probs: (n_examples, n_labels), rows summing to 1.

    >>> scores(np.array([[0.5, 0.5], [0.9, 0.1]]), "uncertainty").round(3).tolist()
    [0.693, 0.325]
    """
    check_strategy(strategy)
    if strategy == "random":
        return np.random.default_rng(seed).random(len(probs))
    if strategy == "uncertainty":
        p = np.clip(probs, 1e-12, 1.0)
        return -(p * np.log(p)).sum(axis=1)
    top2 = np.sort(probs, axis=1)[:, -2:]  # (n, 2): second best, best
    return 1.0 - (top2[:, 1] - top2[:, 0])


def check_strategy(strategy: str) -> None:
    if strategy not in STRATEGIES:
        raise InputError(f"--select must be one of {', '.join(STRATEGIES)}, found {strategy!r}.")


def diverse_top(score: np.ndarray, groups: list[str], n: int, per_group: int = PER_ARTICLE) -> list[int]:
    """Indices of the ``n`` best scores with at most ``per_group`` per group (raised if it cannot fill ``n``).

    >>> diverse_top(np.array([0.9, 0.8, 0.7, 0.1]), ["a", "a", "a", "b"], n=2, per_group=1)
    [0, 3]
    """
    if per_group < 1:
        raise InputError(f"--per-article must be at least 1, found {per_group}.")
    order = np.argsort(-score, kind="stable")
    n = min(n, len(order))
    chosen: list[int] = []
    taken: set[int] = set()
    cap = per_group
    while len(chosen) < n:
        used = Counter(groups[i] for i in chosen)
        for i in order:
            if len(chosen) == n:
                break
            if i not in taken and used[groups[i]] < cap:
                chosen.append(int(i))
                taken.add(int(i))
                used[groups[i]] += 1
        cap += 1
    return chosen


def select_batch(
    probs: np.ndarray | None, groups: list[str], n: int, strategy: str = "uncertainty",
    per_article: int = PER_ARTICLE, seed: int = 0,
) -> np.ndarray:
    """The indices of the batch, best first; ``probs`` may be None for ``random``."""
    check_strategy(strategy)
    if n < 1:
        raise InputError(f"--n must be a positive number of examples, found {n}.")
    if probs is None:
        if strategy != "random":
            raise InputError(f"--select {strategy} needs --model: the model's probabilities rank the candidates.")
        probs = np.zeros((len(groups), 1))
    return np.array(diverse_top(scores(probs, strategy, seed), groups, n, per_article), dtype=int)
