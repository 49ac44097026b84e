"""Helpers behind the review notebooks (``notebooks/*.ipynb``): tables, plots and HTML views.

The notebooks only call these and display the results, so everything they show is tested.
Tables are pandas DataFrames; plots are returned as ``IPython.display.Image`` (PNG).

- ``notebook``: where the notebooks look, how figures are shown
- ``corpus``: notebook 01, the corpus
- ``runs``: notebook 02, runs and experiments
- ``articles``: notebook 03, articles
"""
