"""Stage 1, the builder: raw articles -> unlabelled (speaker, target, text) examples.

- ``pipeline``: the ``python -m stancelab.build`` command (articles in, examples and a manifest out)
- ``attribution``: who said what (quotes, reported speech, speakers, affiliations)
- ``targets``: what a statement is about
- ``attribution_eval``: the extractor scored against gold attribution lines
"""
