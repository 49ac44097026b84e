"""Choosing the next batch: entropy, margin, random, and the per-article cap (stancelab.annotate.select)."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

from stancelab.annotate.select import diverse_top, scores, select_batch
from stancelab.data.io import InputError

PROBS = np.array([[0.34, 0.33, 0.33], [0.98, 0.01, 0.01], [0.5, 0.5, 0.0], [0.6, 0.3, 0.1]])


def test_entropy_scores():
    expected = [-sum(p * math.log(p) for p in row if p > 0) for row in PROBS]
    assert scores(PROBS, "uncertainty") == pytest.approx(expected, abs=1e-9)


def test_margin_scores_are_one_minus_the_gap_of_the_two_best():
    assert scores(PROBS, "margin") == pytest.approx([0.99, 0.03, 1.0, 0.7])


def test_margin_and_entropy_can_disagree():
    # row 2 (0.5 / 0.5 / 0) is the closest call for margin; row 0 (nearly uniform) has the highest entropy
    assert select_batch(PROBS, list("abcd"), n=1, strategy="margin").tolist() == [2]
    assert select_batch(PROBS, list("abcd"), n=1, strategy="uncertainty").tolist() == [0]


def test_random_is_seeded():
    first = select_batch(None, list("abcdefgh"), n=4, strategy="random", seed=3).tolist()
    assert first == select_batch(None, list("abcdefgh"), n=4, strategy="random", seed=3).tolist()
    assert first != select_batch(None, list("abcdefgh"), n=4, strategy="random", seed=4).tolist()


def test_cap_per_article_spreads_the_batch():
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.1, 0.05])
    groups = ["a", "a", "a", "a", "b", "c"]
    assert diverse_top(score, groups, n=3, per_group=1) == [0, 4, 5]
    assert diverse_top(score, groups, n=4, per_group=2) == [0, 1, 4, 5]


def test_cap_is_raised_when_there_are_too_few_articles():
    assert diverse_top(np.array([0.9, 0.8, 0.7, 0.1]), ["a", "a", "a", "b"], n=3, per_group=1) == [0, 3, 1]


def test_docstring_examples_of_the_annotate_modules():
    from stancelab.annotate import merge, tasks
    from stancelab.annotate import select as select_module

    for module in (select_module, merge, tasks):
        assert doctest.testmod(module).failed == 0


def test_uncertainty_without_a_model_is_an_error():
    with pytest.raises(InputError, match=r"^--select margin needs --model"):
        select_batch(None, ["a"], n=1, strategy="margin")
    with pytest.raises(InputError, match=r"^--select must be one of uncertainty, margin, random, found 'entropy'\.$"):
        select_batch(PROBS, list("abcd"), n=1, strategy="entropy")
