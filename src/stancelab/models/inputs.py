"""How an example becomes model input: the templates, the pair of segments, the one-string join.

Every method reads its input through this module: the fine-tune and entailment tokenise the pair
(``encode``), the baselines and SetFit read one string (``input_texts``).
"""

from __future__ import annotations

from typing import Any

from stancelab.models.spec import ModelSpec

# The fields a template may name, e.g. "{speaker} | {target}".
TEMPLATE_FIELDS = ("speaker", "speaker_affiliation", "target", "text")
# Between segment A and segment B when a method reads one string (the baselines, SetFit).
JOIN = " || "


def template_values(example: Any) -> dict[str, str]:
    """The example's fields that templates can name (``TEMPLATE_FIELDS``)."""
    return {name: getattr(example, name) for name in TEMPLATE_FIELDS}


def format_pair(example: Any, spec: ModelSpec | Any) -> tuple[str, str | None]:
    """Fill the input templates for one example; returns (segment_a, segment_b or None).

    ``spec`` is anything with ``template_a`` and ``template_b``: a ModelSpec or the config's model section.
    """
    values = template_values(example)
    first = spec.template_a.format(**values)
    second = spec.template_b.format(**values) if spec.template_b else None
    return first, second


def one_string_template(spec: ModelSpec | Any) -> str:
    """Templates A and B as one template, joined by ``JOIN`` (an empty template is left out).

    >>> one_string_template(ModelSpec(labels=["a", "b"]))
    '{speaker} | {target} || {text}'
    """
    return JOIN.join(t for t in (spec.template_a, spec.template_b) if t)


def input_texts(examples: list, spec: ModelSpec | Any) -> list[str]:
    """The model input as one string per example: what the baselines and SetFit read, and what an exported
    SetFit model (``template_a=one_string_template(...)``, no ``template_b``) is given at prediction time."""
    template = one_string_template(spec)
    return [template.format(**template_values(ex)) for ex in examples]


def encode(examples: list, tokenizer: Any, spec: ModelSpec | Any) -> dict[str, list]:
    """Tokenise examples without padding (padding happens per batch); truncate the text segment only."""
    pairs = [format_pair(ex, spec) for ex in examples]
    firsts = [a for a, _ in pairs]
    if spec.template_b:
        seconds = [b for _, b in pairs]
        return tokenizer(firsts, seconds, truncation="only_second", max_length=spec.max_length)
    return tokenizer(firsts, truncation=True, max_length=spec.max_length)
