"""Mean-pooling classification head for any transformers encoder.

Sentence-transformers encoders such as all-MiniLM-L6-v2 are trained to represent a text by the mean of
its token states, not by the first ([CLS]) token that ``AutoModelForSequenceClassification`` reads.
``MeanPoolingClassifier`` keeps that pooling: encoder -> masked mean over tokens -> dropout -> linear.
On small training sets it learns faster than the [CLS] head (docs/generalisation.md has the numbers).
With ``normalize=True`` the pooled vector is scaled to unit length first, as a sentence-transformers
``Normalize`` module does: that is the form a SetFit model takes when exported (``stancelab.train.setfit_method``).

A saved model directory holds the encoder's ``config.json`` (with ``id2label``), one ``model.safetensors``
with the whole state (encoder and head) and the tokenizer; ``stancelab.json`` says ``"pooling": "mean"``
(or ``"mean_normalized"``).
Loading builds the encoder from its config and loads the weights strictly, so a mismatch fails loudly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from transformers.modeling_outputs import SequenceClassifierOutput

WEIGHTS = "model.safetensors"


class MeanPoolingClassifier(torch.nn.Module):
    """Encoder + masked mean of the last hidden states (+ L2 normalisation) + dropout + linear layer."""

    def __init__(self, encoder: Any, num_labels: int, dropout: float, normalize: bool = False):
        super().__init__()
        _drop_pooler(encoder)
        self.encoder = encoder
        self.normalize = normalize
        self.config = encoder.config
        self.dropout = torch.nn.Dropout(dropout)
        self.classifier = torch.nn.Linear(encoder.config.hidden_size, num_labels)
        std = getattr(encoder.config, "initializer_range", 0.02)
        torch.nn.init.normal_(self.classifier.weight, mean=0.0, std=std)
        torch.nn.init.zeros_(self.classifier.bias)

    @property
    def device(self) -> torch.device:
        return self.classifier.weight.device

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> SequenceClassifierOutput:
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            inputs["token_type_ids"] = token_type_ids
        hidden = self.encoder(**inputs).last_hidden_state
        pooled = mean_pool(hidden, attention_mask)
        if self.normalize:
            pooled = torch.nn.functional.normalize(pooled, p=2.0, dim=-1)
        logits = self.classifier(self.dropout(pooled))
        loss = torch.nn.functional.cross_entropy(logits.float(), labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """Mean of the token states where ``attention_mask`` is 1 (all tokens when it is None)."""
    if attention_mask is None:
        return hidden.mean(dim=1)
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def _drop_pooler(encoder: Any) -> None:
    """Remove the encoder's own [CLS] pooler: unused here, and unused parameters break DDP's gradient sync."""
    if getattr(encoder, "pooler", None) is not None:
        encoder.pooler = None


def from_pretrained_encoder(
    path: str, labels: list[str], dropout: float, normalize: bool = False, **kwargs: Any
) -> MeanPoolingClassifier:
    """A fresh head on a pretrained encoder (any local folder or hub id ``AutoModel`` reads)."""
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(
        path, hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout, trust_remote_code=False, **kwargs
    )
    encoder.config.id2label = dict(enumerate(labels))
    encoder.config.label2id = {label: i for i, label in enumerate(labels)}
    return MeanPoolingClassifier(encoder, len(labels), dropout, normalize)


def save(model: MeanPoolingClassifier, model_dir: str | os.PathLike) -> None:
    """``config.json`` and one ``model.safetensors`` with encoder and head."""
    from safetensors.torch import save_file

    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(model_dir)
    state = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}
    save_file(state, str(model_dir / WEIGHTS), metadata={"format": "pt"})


def load(model_dir: str | os.PathLike, normalize: bool = False) -> MeanPoolingClassifier:
    """The saved classifier, weights loaded strictly (every tensor present, none left over).

    ``normalize`` is not in the weights: it comes from ``stancelab.json`` (``"pooling": "mean_normalized"``).
    """
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(model_dir, trust_remote_code=False)
    model = MeanPoolingClassifier(AutoModel.from_config(config), len(config.id2label), 0.0, normalize)
    model.load_state_dict(load_file(str(Path(model_dir) / WEIGHTS)), strict=True)
    return model.eval()
