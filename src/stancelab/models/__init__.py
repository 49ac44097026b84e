"""The model-input contract, shared by every method: how an example becomes input, and the model on disk.

- ``spec``: ``ModelSpec`` (saved as ``stancelab.json``) and ``LoadedModel``
- ``inputs``: templates, the (A, B) pair, the one-string join, tokenisation
- ``pooling``: the mean-pooling classification head
- ``modeling``: the bundled encoder, loading for training, saving, finding a model directory
"""
