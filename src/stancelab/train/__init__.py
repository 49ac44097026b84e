"""Stage 2, training: config -> run directory with model, metrics, predictions and report.

- ``run``: ``train()``, the table of contents, and one run per seed
- ``finetune``: the transformers Trainer
- ``setfit_method``: SetFit, exported to stancelab's model format
- ``rundir``: the partial directory, resuming, the swap into place
- ``cli``: ``python -m stancelab.train``
"""
