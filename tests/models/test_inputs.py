"""The model-input contract: templates, the (A, B) pair, the one-string join every method shares."""

from stancelab.config import load_config
from stancelab.data.schema import coerce_examples
from stancelab.models.inputs import format_pair, input_texts, one_string_template
from stancelab.models.spec import ModelSpec

from conftest import example_rows


def examples(n: int = 2):
    return coerce_examples(example_rows("train")[:n], labels=None)


def test_input_texts_follow_the_templates():
    config = load_config(None, ["model.template_a={target}", "model.template_b="])
    assert input_texts(examples(1), config.model) == ["the trade deal"]


def test_one_string_is_segment_a_then_b():
    ex = examples(1)[0]
    spec = ModelSpec(labels=["support", "oppose"])
    first, second = format_pair(ex, spec)
    assert input_texts([ex], spec) == [f"{first} || {second}"]
    assert one_string_template(spec) == "{speaker} | {target} || {text}"


def test_exported_setfit_template_reads_what_setfit_trained_on():
    """SetFit trains on input_texts(config.model) and its export reads one_string_template: the same strings."""
    config = load_config(None, ["model.template_a={speaker_affiliation}", "model.template_b={text}"])
    exported = ModelSpec(labels=["support", "oppose"], template_a=one_string_template(config.model), template_b="")
    rows = examples(2)
    assert input_texts(rows, config.model) == [format_pair(ex, exported)[0] for ex in rows]
