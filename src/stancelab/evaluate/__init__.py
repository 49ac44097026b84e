"""Measuring models: metrics, evaluation of a run on any labelled file, baselines, run reports.

- ``metrics``: macro-F1 with bootstrap CIs, calibration, temperature, mean and std
- ``evaluation``: ``python -m stancelab.evaluate``
- ``baselines``: majority, TF-IDF and frozen-encoder logistic regressions (``python -m stancelab.baselines``)
- ``report``: slices, errors, plots, report.md and the model card of a run
- ``compare``: finished runs side by side (``python -m stancelab.compare``)
"""
