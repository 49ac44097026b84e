"""The splits experiments train and score on: leave-one-domain-out folds, article hold-outs, nested subsets."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from stancelab.data.io import InputError
from stancelab.data.schema import Example


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
