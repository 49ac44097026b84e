"""Stage 3, inference: ``predict()``, ``predict_article()`` and ``python -m stancelab.predict``.

- ``inference``: ``predict()`` and the length-sorted batched forward pass
- ``loading``: ``load_model()``, cached per path and precision (float32, bfloat16, int8)
- ``article``: one article through the builder and the model
- ``cli``: the command, and the argument helpers ``stancelab.evaluate`` shares
"""
