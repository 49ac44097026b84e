import numpy as np
import pytest
import torch
from transformers.modeling_outputs import SequenceClassifierOutput

from stancelab.config import load_config
from stancelab.data.io import InputError
from stancelab.data.schema import coerce_examples
from stancelab.experiments.entailment import (
    HYPOTHESES,
    EntailmentMethod,
    ListwiseScorer,
    _metric_fn,
    check_hypotheses,
    gold_indices,
    hypothesis_pairs,
    label_scores,
)

from conftest import FIXTURE_DATA, LABELS, example_rows


@pytest.fixture
def examples():
    return coerce_examples(example_rows("a"), labels=None)


def test_one_pair_per_label_with_the_gold_hypothesis_marked(examples):
    statements, hyps, targets = hypothesis_pairs(examples[2:3], LABELS)  # Karl Berg, conditional
    assert statements == [examples[2].text] * 3
    assert hyps == [
        "Karl Berg supports the merger",
        "Karl Berg opposes the merger",
        "Karl Berg supports the merger only under a condition",
    ]
    assert targets == [0, 0, 1]
    _, _, all_targets = hypothesis_pairs(examples, LABELS)
    assert len(all_targets) == 27 and sum(all_targets) == 9


def test_unlabelled_examples_get_no_positive(examples):
    examples[0].label = None
    assert hypothesis_pairs(examples[:1], LABELS)[2] == [0, 0, 0]


def test_hypotheses_must_cover_every_label():
    with pytest.raises(InputError, match=r"no hypothesis for label\(s\) \['NONE'\]"):
        check_hypotheses(["support", "NONE"], HYPOTHESES)
    with pytest.raises(InputError, match="uses an unknown field"):
        check_hypotheses(["support"], {"support": "{who} backs {target}"})


def test_label_scores_regroup_pairs_into_examples():
    pair_scores = np.array([1.0, 3.0, -1.0, -2.0, 0.5, 0.0])
    scores = label_scores(pair_scores, 3)
    assert scores.shape == (2, 3) and scores.argmax(axis=1).tolist() == [1, 1]
    assert label_scores(pair_scores.reshape(-1, 1), 3).tolist() == scores.tolist()
    metrics = _metric_fn(["oppose", "oppose"], LABELS)((scores, None))
    assert metrics["accuracy"] == 1.0
    assert _metric_fn(["support", "oppose"], LABELS)((scores, None))["accuracy"] == 0.5


def test_gold_index_per_example_and_unknown_labels_rejected(examples):
    assert gold_indices(examples[:3], LABELS) == [LABELS.index(ex.label) for ex in examples[:3]]
    examples[0].label = "NONE"
    with pytest.raises(InputError, match=r"need a label from .*found \['NONE'\]"):
        gold_indices(examples[:3], LABELS)


class _PairScorer(torch.nn.Module):
    """Scores a pair by its first token id: enough to check the listwise reshaping and loss."""

    config = None

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        assert input_ids.dim() == 2
        return SequenceClassifierOutput(logits=input_ids[:, :1].float())


def test_listwise_scorer_softmaxes_over_each_examples_hypotheses():
    model = ListwiseScorer(_PairScorer())
    input_ids = torch.tensor([[[5, 0], [1, 0], [2, 0]], [[0, 0], [0, 0], [9, 0]]])  # (2 examples, 3 labels, 2)
    out = model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), labels=torch.tensor([0, 2]))
    assert out.logits.tolist() == [[5.0, 1.0, 2.0], [0.0, 0.0, 9.0]]
    expected = torch.nn.functional.cross_entropy(out.logits, torch.tensor([0, 2]))
    assert torch.isclose(out.loss, expected) and out.loss < 0.1
    wrong = model(input_ids=input_ids, labels=torch.tensor([1, 0]))
    assert wrong.loss > 4.0


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_fit_and_predict_on_the_tiny_encoder(examples, tiny_encoder, tmp_path, pooling):
    overrides = [
        f"model.name_or_path={tiny_encoder}",
        f"model.pooling={pooling}",
        "model.max_length=48",
        "train.epochs=1",
        "train.batch_size=9",
        "train.early_stopping_patience=0",
    ]
    method = EntailmentMethod(load_config(None, [*FIXTURE_DATA, *overrides]), tmp_path / "entail").fit(
        examples, examples[:3]
    )
    predicted = method.predict(examples)
    assert len(predicted) == 9 and set(predicted) <= set(LABELS)
    assert method.scores(examples[:2]).shape == (2, 3)
    assert not (tmp_path / "entail" / "checkpoints").exists()
