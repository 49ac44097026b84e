"""Experiments over many runs: leave-one-domain-out, learning curves, cross-validation, entailment.

- ``folds``, ``methods``, ``runners``, ``summaries``, ``merge``, ``cli``: ``python -m stancelab.experiments``
- ``crossval``: grouped k-fold cross-validation (``python -m stancelab.crossval``)
- ``entailment``: the zero-/few-shot entailment method
"""
