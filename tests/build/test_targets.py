"""Targets: what a statement is about (listed targets with aliases, predicate objects, a fallback phrase)."""

import pytest

from stancelab.build.attribution.extractor import load_nlp
from stancelab.build.pipeline import build_examples
from stancelab.build.targets import listed_targets, load_targets, predicate_targets, statement_targets
from stancelab.data.io import InputError

pytestmark = pytest.mark.usefixtures("nlp")  # spaCy loaded once, in conftest


def test_listed_targets_match_whole_words_in_any_case():
    targets = {"the carbon levy": ["levy", "carbon tax"], "tariffs": []}
    assert listed_targets("She backed the Carbon Tax and new tariffs.", targets) == ["the carbon levy", "tariffs"]
    assert listed_targets("The levying of fees.", targets) == []


def test_predicate_objects_are_targets():
    span = load_nlp()("The minister rejected the new tariffs and called for talks.")[:]
    assert predicate_targets(span) == ["the new tariffs", "talks"]


def test_a_listed_target_replaces_the_predicate_object_that_names_it():
    span = load_nlp()("The union opposed the carbon levy.")[:]
    targets = {"the carbon tax": ["carbon levy"]}
    assert statement_targets(span, span.text, span.text, targets) == ["the carbon tax"]


def test_target_fallback_is_never_empty():
    examples = build_examples("The mayor said it would rain on the parade again.", "a")
    assert [ex.target for ex in examples] == ["the parade"]
    assert statement_targets(None, "It said so.", "so", None) == ["so"]


def test_bad_targets_file(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"expected a YAML mapping \{target name: \[alias, \.\.\.\]\}, found list"):
        load_targets(path)
    path.write_text("the levy: levy tax\n", encoding="utf-8")
    with pytest.raises(InputError, match="target 'the levy': expected a list of alias strings"):
        load_targets(path)


