"""Bad input to ``python -m stancelab.predict`` and the Python API (issue 19): each case ends in a clear
message or a documented warning, a non-zero exit where nothing was produced, and earlier outputs intact."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from stancelab import predict, predict_article, predict_articles
from stancelab.data.io import InputError, exclusive_output
from stancelab.predict.article import ARTICLE_COLUMNS, ArticleWarning
from stancelab.predict.cli import main
from stancelab.predict.inference import read_prediction_inputs
from stancelab.predict.loading import load_model

from conftest import LABELS, example_rows, write_jsonl

ARTICLE = '"We oppose the levy," Trade Minister Ana Ruiz said.\n'
NO_STATEMENTS = "The weather was mild on Tuesday. Markets were calm and trading was thin.\n"
ROW = {"speaker": "Ana Ruiz", "target": "the trade deal", "text": "Ruiz said the trade deal was good."}
EARLIER = "earlier result, must survive\n"


@pytest.fixture
def earlier(tmp_path) -> dict[str, Path]:
    """Outputs of an earlier run, to check byte for byte that a failed run left them alone."""
    out = {name: tmp_path / f"earlier.{name}" for name in ("csv", "jsonl", "png")}
    for path in out.values():
        path.write_text(EARLIER, encoding="utf-8")
    return out


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_untouched(*paths: Path) -> None:
    for path in paths:
        assert path.read_text(encoding="utf-8") == EARLIER
    leftovers = [p.name for p in paths[0].parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # no temp file, no lock file


# --- 1. a path is never read as article text -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.md", r"missing\.md: expected an article file \(\.txt or \.md\), found no such file"),
        ("missing.txt", r"found no such file\. Check the path"),
        ("examples.jsonl", r"found a '\.jsonl' data file\. For a JSONL of examples .* --input"),
        ("table.csv", r"found a '\.csv' data file\. Convert it to JSONL"),
        ("folder", r"folder: expected an article file \(\.txt or \.md\), found a folder\. .*stancelab\.build"),
    ],
)
def test_article_path_that_is_not_an_article_fails_in_cli_and_api(trained_run, tmp_path, capsys, earlier, name,
                                                                   message):
    (tmp_path / "folder").mkdir()
    write_jsonl(tmp_path / "examples.jsonl", [ROW])
    (tmp_path / "table.csv").write_text("speaker,target,text\n", encoding="utf-8")
    path = tmp_path / name
    status, out, err = run(capsys, "--model", trained_run, "--article", path, "--output", earlier["csv"])
    assert status == 2 and out == ""
    assert err.startswith("error: ") and re.search(message, err)
    assert_untouched(earlier["csv"])
    for given in (path, str(path)):  # a Path and a str that looks like a path: never taken as the text
        with pytest.raises(InputError, match=message):
            predict_article(given, model=trained_run)


def test_str_path_that_exists_is_read_and_md_works(trained_run, tmp_path):
    md = tmp_path / "trade.md"
    md.write_text(ARTICLE, encoding="utf-8")
    for given in (str(md), md):
        table = predict_article(given, model=trained_run)
        assert list(table["speaker"]) == ["Ana Ruiz"] and set(table["article_id"]) == {"trade"}


def test_relative_str_path_is_read_from_the_working_directory(trained_run, tmp_path, monkeypatch):
    (tmp_path / "trade.md").write_text(ARTICLE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert list(predict_article("trade.md", model=trained_run)["article_id"]) == ["trade"]
    with pytest.raises(InputError, match=rf"no such file\. Check the path \(relative paths are read from {tmp_path}"):
        predict_article("other.md", model=trained_run)


def test_article_of_another_type_is_a_type_error(trained_run):
    with pytest.raises(TypeError, match=r"expected the article as a str \(its text or a file path\) or a Path, found"):
        predict_article(42, model=trained_run)


# --- 2. nothing found: exit 3 in the command, a warning in the API -----------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("", "found an empty article"),
        ("  \n\t\n", "found an empty article"),
        (NO_STATEMENTS, "found no attributed statements"),
    ],
)
def test_article_with_nothing_to_write_exits_3_and_keeps_earlier_outputs(trained_run, tmp_path, capsys, earlier,
                                                                         text, found):
    article = tmp_path / "empty.txt"
    article.write_text(text, encoding="utf-8")
    for output in (earlier["csv"], earlier["jsonl"]):
        status, out, err = run(capsys, "--model", trained_run, "--article", article, "--output", output,
                               "--map", earlier["png"])
        assert status == 3 and out == ""
        assert f"error: {article}: expected at least one attributed position, {found}" in err
    assert_untouched(earlier["csv"], earlier["jsonl"], earlier["png"])
    with pytest.warns(ArticleWarning, match=f"predict_article: expected at least one attributed position, {found}"):
        table = predict_article(text if text.strip() else text, model=trained_run)
    assert table.empty and list(table.columns) == ARTICLE_COLUMNS + [f"p_{label}" for label in LABELS]


def test_too_long_article_is_skipped_as_the_builder_skips_it(trained_run, tmp_path, capsys, earlier):
    from stancelab.build.pipeline import MAX_CHARS

    text = "x " * (MAX_CHARS // 2 + 1)
    with pytest.warns(ArticleWarning, match=r"found only articles the builder skips \(too_long: 200002 characters"):
        assert predict_article(text, model=trained_run).empty
    with pytest.warns(ArticleWarning, match=r"^article long: skipped: too_long: ") as record:
        table = predict_articles([("long", text), ("levy", ARTICLE)], model=trained_run)
    assert len(record) == 1 and list(table["article_id"]) == ["levy"]
    article = tmp_path / "long.txt"
    article.write_text(text, encoding="utf-8")
    status, _, err = run(capsys, "--model", trained_run, "--article", article, "--output", earlier["csv"])
    assert status == 3 and "split the document into articles" in err
    assert_untouched(earlier["csv"])


def test_statements_without_position_point_to_include_none(trained_run, tmp_path, capsys, earlier):
    # A model whose "no position" label always wins: every statement is judged to take no position.
    model = tmp_path / "nothing"
    shutil.copytree(trained_run / "model", model)
    meta = json.loads((model / "stancelab.json").read_text())
    (model / "stancelab.json").write_text(json.dumps({**meta, "none_label": "conditional", "none_threshold": 0.0,
                                                          "statement_threshold": 0.0}))
    article = tmp_path / "levy.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    status, _, err = run(capsys, "--model", model, "--article", article, "--output", earlier["csv"])
    assert status == 3 and "found 1 attributed statement(s), none of which takes a position" in err
    assert "Run with --include-none" in err
    assert_untouched(earlier["csv"])
    with pytest.warns(ArticleWarning, match=r"none of which takes a position on a target; the table is empty\. .*"
                                            r"include_none=True"):
        assert predict_article(ARTICLE, model=model).empty
    status, out, _ = run(capsys, "--model", model, "--article", article, "--include-none", "--output", earlier["csv"])
    assert status == 0 and "wrote 1 rows" in out


# --- 3. one contract for --input and predict(), one output key --------------------------------------------


def test_input_needs_only_speaker_target_text_and_writes_label_and_probs(trained_run, tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", [ROW, {**ROW, "id": "x7", "label": "oppose"}])
    out = tmp_path / "out.jsonl"
    status, printed, _ = run(capsys, "--model", trained_run, "--input", src, "--output", out)
    assert status == 0 and "wrote 2 predictions" in printed
    first, second = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert first["id"] == "1" and first["article_id"] == "" and first["speaker_affiliation"] == ""
    assert second["id"] == "x7" and second["gold_label"] == "oppose"
    assert "predicted" not in first and first["label"] in LABELS and set(first["probs"]) == set(LABELS)
    assert [first["label"], second["label"]] == [r["label"] for r in predict([ROW, ROW], model=trained_run)]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"target": "t", "text": "x"}, r"in\.jsonl:2: expected the fields speaker, target, text, found no 'speaker' "
                                       r"\(the line has target, text\)\. Add it; id, article_id and "),
        ({"speaker": "a", "target": "t", "text": "  "}, r"in\.jsonl:2: field 'text' is empty"),
        ({"speaker": "a", "target": 3, "text": "x"}, r"in\.jsonl:2: field 'target' must be a string, found int 3"),
    ],
)
def test_bad_input_row_names_file_and_line_and_writes_nothing(trained_run, tmp_path, capsys, earlier, row, message):
    src = write_jsonl(tmp_path / "in.jsonl", [ROW, row])
    status, _, err = run(capsys, "--model", trained_run, "--input", src, "--output", earlier["jsonl"])
    assert status == 2 and re.search(message, err)
    assert_untouched(earlier["jsonl"])
    with pytest.raises(InputError, match=message):
        read_prediction_inputs(src)


def test_input_labelled_with_other_labels_is_kept_with_a_warning(trained_run, tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", [{**ROW, "label": "favor"}])
    status, _, err = run(capsys, "--model", trained_run, "--input", src, "--output", tmp_path / "out.jsonl")
    assert status == 0 and "labels 'favor' are not labels of the model (support, oppose, conditional)" in err
    assert json.loads((tmp_path / "out.jsonl").read_text())["gold_label"] == "favor"


# --- 4. options that do not go together, bad numbers and outputs: parser errors before any work ------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--map", "m.png"], "--map works with --article only, not with --input"),
        (["--include-none"], "--include-none works with --article only"),
        (["--targets", "t.yaml"], "--targets works with --article only"),
        (["--batch-size", "0"], "argument --batch-size: expected an integer of at least 1, found '0'"),
        (["--threads", "-1"], "argument --threads: expected an integer of at least 1, found '-1'"),
        (["--max-length", "0"], "argument --max-length: expected an integer of at least 8, found '0'"),
        (["--batch-size", "many"], "expected an integer of at least 1, found 'many'"),
    ],
)
def test_parser_errors(trained_run, tmp_path, capsys, extra, message):
    src = write_jsonl(tmp_path / "in.jsonl", [ROW])
    with pytest.raises(SystemExit) as exit_info:
        main(["--model", str(trained_run), "--input", str(src), "--output", str(tmp_path / "o.jsonl"), *extra])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize(
    ("source", "output", "message"),
    [
        ("--input", "out.csv", r"--output .*out\.csv: expected a file ending in \.jsonl, found '\.csv'"),
        ("--article", "out.parquet", r"expected a file ending in \.csv or \.jsonl, found '\.parquet'"),
        ("--article", "outdir", r"--output .*outdir: expected a file to write, found a folder"),
    ],
)
def test_bad_output_path(trained_run, tmp_path, capsys, source, output, message):
    (tmp_path / "outdir").mkdir()
    src = write_jsonl(tmp_path / "in.jsonl", [ROW]) if source == "--input" else tmp_path / "a.txt"
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    status, _, err = run(capsys, "--model", trained_run, source, src, "--output", tmp_path / output)
    assert status == 2 and re.search(message, err)
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "out.parquet").exists()
    assert list((tmp_path / "outdir").iterdir()) == []


def test_bad_map_suffix(trained_run, tmp_path, capsys):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    status, _, err = run(capsys, "--model", trained_run, "--article", tmp_path / "a.txt", "--map", tmp_path / "m.jpg")
    assert status == 2 and "--map" in err and "expected a file ending in .png or .svg or .pdf, found '.jpg'" in err


# --- 5. two writers of one output ---------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--output", "--map"])
def test_second_writer_of_the_same_output_is_refused(trained_run, tmp_path, capsys, earlier, flag):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    target = earlier["csv"] if flag == "--output" else earlier["png"]
    with exclusive_output(target):  # another predict, still running
        status, out, err = run(capsys, "--model", trained_run, "--article", tmp_path / "a.txt", flag, target)
        assert status == 2 and out == ""
        assert "expected to be the only process writing this output, found another one holding" in err
    assert target.read_text(encoding="utf-8") == EARLIER
    status, _, _ = run(capsys, "--model", trained_run, "--article", tmp_path / "a.txt", flag, target)
    assert status == 0 and target.read_bytes() != EARLIER.encode()  # free again once the first one is done
    assert not any(p.name.endswith(".lock") for p in tmp_path.iterdir())


def test_input_run_holds_its_output(trained_run, tmp_path, capsys, earlier):
    src = write_jsonl(tmp_path / "in.jsonl", [ROW])
    with exclusive_output(earlier["jsonl"]):
        status, _, err = run(capsys, "--model", trained_run, "--input", src, "--output", earlier["jsonl"])
    assert status == 2 and "found another one holding" in err
    assert earlier["jsonl"].read_text(encoding="utf-8") == EARLIER


# --- 6. broken models: messages, not tracebacks ---------------------------------------------------------------


@pytest.fixture
def model_copy(trained_run, tmp_path) -> Path:
    copy = tmp_path / "copied"
    shutil.copytree(trained_run / "model", copy)
    return copy


def test_truncated_weights_name_the_file(model_copy, tmp_path, capsys):
    weights = model_copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    message = r"copied/model\.safetensors: expected the model's weights, found a file that is truncated or corrupt"
    with pytest.raises(InputError, match=message):
        predict([ROW], model=model_copy)
    src = write_jsonl(tmp_path / "in.jsonl", [ROW])
    status, _, err = run(capsys, "--model", model_copy, "--input", src, "--output", tmp_path / "out.jsonl")
    assert status == 2 and err.startswith(f"error: {weights}: expected the model's weights")
    assert "truncated or corrupt" in err and "re-run training" in err and not (tmp_path / "out.jsonl").exists()


def test_garbage_weights_name_the_file(model_copy):
    (model_copy / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(InputError, match=r"model\.safetensors: expected the model's weights, found a file that is "):
        predict([ROW], model=model_copy)


@pytest.mark.parametrize("bad", [None, 3, ["runs/default"]])
def test_model_of_the_wrong_type_says_what_it_must_be(bad):
    with pytest.raises(TypeError, match=r"^model must be a run or model directory \(a str or Path, e\.g\. "):
        predict([ROW], model=bad)
    with pytest.raises(TypeError, match=r"^model must be a run or model directory"):
        predict_article(ARTICLE, model=bad)


def test_examples_of_the_wrong_type_say_what_they_must_be(trained_run):
    for bad in (None, "in.jsonl", Path("in.jsonl")):
        with pytest.raises(TypeError, match=r"expected examples as dicts with speaker, target and text .*"
                                            r"read_prediction_inputs"):
            predict(bad, model=trained_run)


def test_half_copied_model_directory_names_the_missing_files(trained_run, tmp_path):
    run_copy = tmp_path / "run"
    (run_copy / "model").mkdir(parents=True)
    shutil.copy(trained_run / "model" / "model.safetensors", run_copy / "model")
    with pytest.raises(InputError, match=r"run: expected a stancelab model directory .* found a half-copied model "
                                         r"directory .*model, missing stancelab\.json, config\.json, tokenizer\.json "
                                         r"or vocab\.txt\. Fix:"):
        predict([ROW], model=run_copy)
    with pytest.raises(InputError, match=r"found neither \(no model files in"):
        predict([ROW], model=tmp_path)
    with pytest.raises(InputError, match=r"found a file, not a folder"):
        predict([ROW], model=run_copy / "model" / "model.safetensors")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda meta: meta.pop("labels"), r"stancelab\.json: expected 'labels', a list of at least two label names"),
        (lambda meta: meta.update(labels=[]), r"expected 'labels', .* found \[\]"),
        (lambda meta: meta.update(colour="red"), r"stancelab\.json: unknown key 'colour'; the keys are "),
        (lambda meta: meta.update(labels=["support", "oppose"]), r"expected a classifier with one output per label "
                                                                 r"of stancelab\.json \(support, oppose\), found 3"),
    ],
)
def test_edited_model_description(model_copy, edit, message):
    meta = json.loads((model_copy / "stancelab.json").read_text())
    edit(meta)
    (model_copy / "stancelab.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match=message):
        load_model(model_copy)


def test_corrupt_model_description(model_copy):
    (model_copy / "stancelab.json").write_text('{"labels": ["support", ')
    with pytest.raises(InputError, match=r"stancelab\.json: expected the model's description as JSON, found a file "):
        load_model(model_copy)


# --- 7. noise ------------------------------------------------------------------------------------------------


def test_help_prints_no_warning_and_no_rest_markup():
    done = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", "stancelab.predict", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    assert "``" not in done.stdout and "--quiet" in done.stdout and "Inference: predict() for examples" in done.stdout


def test_loading_a_first_token_model_prints_no_load_report(model_copy, capfd):
    """A checkpoint without the pooler (as saved from a sentence encoder) makes transformers print a LOAD
    REPORT of the 'missing' pooler, which the [CLS] head does not use; stancelab's own load is quiet."""
    import io
    import logging

    from safetensors.torch import load_file, save_file
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    weights = model_copy / "model.safetensors"
    state = load_file(weights)
    save_file({k: v for k, v in state.items() if ".pooler." not in k}, weights, metadata={"format": "pt"})
    hf_logging.set_verbosity_warning()
    logged = io.StringIO()
    handler = logging.StreamHandler(logged)  # where transformers' logger writes, whatever pytest captures
    logging.getLogger("transformers").addHandler(handler)
    try:
        AutoModelForSequenceClassification.from_pretrained(model_copy)  # the control: transformers reports
        assert "LOAD REPORT" in logged.getvalue()
        logged.truncate(0)
        capfd.readouterr()
        load_model(model_copy)
        captured = capfd.readouterr()
        assert "LOAD REPORT" not in logged.getvalue() + captured.out + captured.err
        assert "Loading weights" not in captured.err
        assert hf_logging.get_verbosity() == hf_logging.WARNING  # transformers' own setting is back
        AutoModelForSequenceClassification.from_pretrained(model_copy)  # outside our load it still reports
        assert "LOAD REPORT" in logged.getvalue()
    finally:
        logging.getLogger("transformers").removeHandler(handler)


# --- 8. progress -------------------------------------------------------------------------------------------


def test_progress_bar_forced_on_off_and_auto(trained_run, capsys):
    rows = example_rows()
    predict(rows, model=trained_run, batch_size=1, progress=True)
    assert "predict" in capsys.readouterr().err
    predict(rows, model=trained_run, batch_size=1, progress=False)
    predict(rows, model=trained_run, batch_size=1)  # auto: stderr is not a terminal here
    assert capsys.readouterr().err == ""


def test_quiet_turns_the_bar_off_on_a_terminal(trained_run, tmp_path, capsys, monkeypatch):
    src = write_jsonl(tmp_path / "in.jsonl", example_rows())
    args = ["--model", trained_run, "--input", src, "--output", tmp_path / "o.jsonl", "--batch-size", "2"]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    status, _, err = run(capsys, *args)
    assert status == 0 and "predict" in err and "batch" in err
    status, _, err = run(capsys, *args, "--quiet")
    assert status == 0 and err == ""


# --- 9. the builder's warnings reach the user --------------------------------------------------------------


def test_builder_warnings_are_passed_on(trained_run, tmp_path, capsys):
    text = '<p>"We oppose the levy," Trade Minister Ana Ruiz said.</p>\n\nShe added: "It is too much.\n'
    article = tmp_path / "html.txt"
    article.write_text(text, encoding="utf-8")
    status, _, err = run(capsys, "--model", trained_run, "--article", article, "--quiet")
    assert status == 0
    assert "warning: article html: html_remnants: 2 tag(s) masked" in err
    assert "warning: article html: unbalanced_quotes: 1 quote mark(s) without a partner" in err
    with pytest.warns(ArticleWarning) as record:
        table = predict_article(text, model=trained_run)
    assert [str(w.message) for w in record] == [
        "article article: html_remnants: 2 tag(s) masked",
        "article article: unbalanced_quotes: 1 quote mark(s) without a partner",
    ]
    assert "Ana Ruiz" in set(table["speaker"])


def test_clean_article_warns_nothing(trained_run):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(predict_article(ARTICLE, model=trained_run)) == 1
