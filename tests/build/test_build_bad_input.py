"""The builder on bad and degenerate input: exit codes, messages, and what is on disk afterwards."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stancelab.build.attribution.extractor import MAX_SENTENCE_CHARS, analyse
from stancelab.build.pipeline import build, build_examples, main
from stancelab.data.io import InputError, NothingProduced, exclusive_output

FIXTURES = Path(__file__).parents[1] / "fixtures" / "build"
ARTICLE = (
    "Russian Foreign Minister Sergey Lavrov met his Qatari counterpart in Doha on Monday.\n\n"
    "Lavrov said Russia opposed the U.S. airstrikes in Syria but backed joint efforts against the militants.\n\n"
    '"We are ready to work with everyone who fights terrorism," he said.'
)
NO_SPEECH = "The weather in Doha was fine on Monday morning.\n\nIt rained later in the week, and the port closed early."

pytestmark = pytest.mark.usefixtures("nlp")


def run(capsys, *args) -> tuple[int, str]:
    status = main([str(a) for a in args])
    return status, capsys.readouterr().err


@pytest.fixture
def earlier(tmp_path) -> Path:
    """An output from an earlier, good build, with its manifest."""
    good = tmp_path / "good.txt"
    good.write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "out" / "examples.jsonl"
    assert main(["--input", str(good), "--output", str(out), "--quiet"]) == 0
    return out


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.parent.iterdir())}


# --- 1. nothing to write: exit 3, the earlier output byte-identical ------------------------------------


@pytest.mark.parametrize(
    "files, message",
    [
        (
            {"empty.txt": b"  \n", "latin1.txt": "caf\xe9".encode("latin-1")},
            r"2 article\(s\): 2 skipped \(empty 1, not_utf8 1\)",
        ),
        ({"calm.txt": NO_SPEECH.encode()}, r"1 article\(s\): none skipped, 1 processed with no statement found"),
    ],
)
def test_every_article_skipped_or_without_statements_exits_3_and_keeps_the_output(
    tmp_path, earlier, capsys, files, message
):
    folder = tmp_path / "raw"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    before = snapshot(earlier)
    status, err = run(capsys, "--input", folder, "--output", earlier)
    assert status == 3
    assert "expected articles with attributed statements, found none" in err
    assert re.search(message, err)
    assert "left as it was" in err
    assert snapshot(earlier) == before  # no new file, no temp file, no lock left behind
    with pytest.raises(NothingProduced, match="found none"):
        build(str(folder), str(earlier))


def test_skip_reasons_are_printed_before_the_refusal(tmp_path, capsys):
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "latin1.txt").write_bytes("caf\xe9 said".encode("latin-1"))
    status, err = run(capsys, "--input", folder, "--output", tmp_path / "o.jsonl")
    assert status == 3 and "skipped article latin1: not_utf8: byte 0xe9" in err
    assert not (tmp_path / "o.jsonl").exists() and not (tmp_path / "o.jsonl.manifest.json").exists()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.mkdir(), r"expected \.txt files in the folder \(one article each\), found an empty folder"),
        (lambda p: (p.mkdir(), (p / "a.md").write_text("x")), r"found 1 other entries \(a\.md\)"),
        (lambda p: p.with_suffix(".jsonl").write_text("\n\n"), r'expected one \{"id", "text"\} article per line, '
                                                               r"found an empty file"),
    ],
)
def test_zero_articles_exit_3_with_what_was_expected(tmp_path, earlier, capsys, make, message):
    target = tmp_path / "in"
    make(target)
    source = target if target.exists() else target.with_suffix(".jsonl")
    before = snapshot(earlier)
    status, err = run(capsys, "--input", source, "--output", earlier)
    assert status == 3 and re.search(message, err), err
    assert snapshot(earlier) == before


def test_a_txt_path_that_is_a_folder_is_read_as_a_folder(tmp_path, capsys):
    folder = tmp_path / "article.txt"
    folder.mkdir()
    (folder / "nested.txt").mkdir()  # a folder named like an article is not an article
    status, err = run(capsys, "--input", folder, "--output", tmp_path / "o.jsonl")
    assert status == 3 and "expected .txt files in the folder" in err and "nested.txt" in err


def test_an_empty_shard_exits_3(tmp_path, capsys):
    source = tmp_path / "a.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    status, err = run(capsys, "--input", source, "--output", tmp_path / "o.jsonl", "--shard", "1/2")
    assert status == 3 and "--shard 1/2: expected articles in this shard, found none" in err
    assert not (tmp_path / "o.jsonl").exists()


# --- arguments -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["--num-proc", "0"], "--num-proc: expected a positive number of processes, found 0"),
        (["--num-proc", "-2"], "--num-proc: expected a positive number of processes, found -2"),
        (["--shard", "3/2"], "--shard: expected 0 <= i < n, found '3/2'"),
        (["--shard", "0/0"], "--shard: expected 0 <= i < n, found '0/0'"),
        (["--shard", "a/b"], "--shard: expected i/n with whole numbers"),
    ],
)
def test_bad_arguments_exit_2_before_anything_is_written(tmp_path, earlier, capsys, args, message):
    source = tmp_path / "a.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    before = snapshot(earlier)
    status, err = run(capsys, "--input", source, "--output", earlier, *args)
    assert status == 2 and message in err
    assert snapshot(earlier) == before


def test_output_that_is_a_folder_or_the_input_itself(tmp_path, capsys):
    source = tmp_path / "articles.jsonl"
    source.write_text(json.dumps({"id": "a", "text": ARTICLE}) + "\n", encoding="utf-8")
    data = source.read_bytes()
    status, err = run(capsys, "--input", source, "--output", tmp_path)
    assert status == 2 and "expected a file path for the examples JSONL, found a folder" in err
    status, err = run(capsys, "--input", source, "--output", source)
    assert status == 2 and "expected a path other than --input, found the input itself" in err
    assert source.read_bytes() == data


def test_few_articles_use_one_process_and_say_so(tmp_path, capsys):
    source = tmp_path / "a.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert run(capsys, "--input", source, "--output", one)[0] == 0
    status, err = run(capsys, "--input", source, "--output", two, "--num-proc", "2")
    assert status == 0 and "note: --num-proc 2: using 1 process(es); 1 article(s) do not pay for more" in err
    assert one.read_bytes() == two.read_bytes()
    assert json.loads(Path(f"{two}.manifest.json").read_text())["args"]["num_proc_used"] == 1


# --- 9. two writers, one output ------------------------------------------------------------------------


def test_a_second_build_to_the_same_output_is_refused(tmp_path, earlier, capsys):
    source = tmp_path / "a.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    before = snapshot(earlier)
    with exclusive_output(earlier):  # as a first build holds it while it runs
        status, err = run(capsys, "--input", source, "--output", earlier)
        with pytest.raises(InputError, match="expected to be the only process writing this output"):
            build(str(source), str(earlier))
    assert status == 2 and "expected to be the only process writing this output" in err
    assert {k: v for k, v in snapshot(earlier).items() if not k.endswith(".lock")} == before
    assert main(["--input", str(source), "--output", str(earlier), "--quiet"]) == 0  # free again afterwards


# --- 8. the user's umask -------------------------------------------------------------------------------


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_outputs_get_the_users_umask(tmp_path, umask, mode):
    source = tmp_path / "a.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    old = os.umask(umask)
    try:
        build(str(source), str(tmp_path / "out" / "examples.jsonl"))
    finally:
        os.umask(old)
    for name in ("examples.jsonl", "examples.jsonl.manifest.json"):
        assert (tmp_path / "out" / name).stat().st_mode & 0o777 == mode, name


# --- 6. degenerate input -------------------------------------------------------------------------------


def test_a_run_on_sentence_gives_each_statement_its_own_clause():
    names = ["Ana Ruiz", "Karl Berg", "Mia Chen", "Lena Vogt"]
    clauses = [f"{names[i % 4]} said the plan number {i} was good for farmers and workers" for i in range(40)]
    text = " and ".join(clauses) + "."
    assert len(text) > 2 * MAX_SENTENCE_CHARS
    analysis = analyse(text)
    assert any(w.startswith("long_sentence: 1 sentence(s) over") for w in analysis.warnings)
    examples = build_examples(text, "runon")
    assert examples and all(len(ex.text) < MAX_SENTENCE_CHARS for ex in examples)
    spans = {(ex.meta["content_start"], ex.meta["content_end"]) for ex in examples}
    assert len({ex.text for ex in examples}) == len(spans)  # no two statements share one text
    for ex in examples:
        assert text[ex.start : ex.end] == ex.text and ex.meta["content"] in ex.text


def test_a_statement_repeated_word_for_word_gives_its_examples_once(tmp_path):
    said = '"We will not sign the trade deal," Ruiz said. '
    text = "Trade Minister Ana Ruiz spoke in Madrid on Monday.\n\n" + said * 6
    examples = build_examples(text, "repeat")
    assert len({(ex.speaker, ex.target, ex.text) for ex in examples}) == len(examples) >= 1
    source = tmp_path / "repeat.txt"
    source.write_text(text, encoding="utf-8")
    manifest = build(str(source), str(tmp_path / "o.jsonl"))
    assert manifest["warnings_per_reason"].get("repeated_statements") == 1
    assert "5 statement(s) repeating an earlier one" in manifest["warning_list"][0]["warning"]


@pytest.mark.parametrize("open_, close", [("&ldquo;", "&rdquo;"), ("&#8220;", "&#8221;"), ("&quot;", "&quot;")])
def test_html_entities_are_decoded_and_offsets_point_into_the_decoded_text(open_, close):
    text = f"{open_}We will not sign the deal for farmers &amp; workers,{close} Trade Minister Ana Ruiz said."
    analysis = analyse(text)
    assert any(w.startswith("html_entities: 3 entity(ies) decoded") for w in analysis.warnings)
    assert "&" not in analysis.text.replace("& workers", "")
    statement = next(s for s, _ in analysis.statements)
    assert (statement.speaker, statement.kind) == ("Ana Ruiz", "direct")
    assert statement.content == "We will not sign the deal for farmers & workers,"
    assert analysis.text[statement.content_start : statement.content_end] == statement.content
    assert analysis.text[statement.sentence_start : statement.sentence_end] == statement.sentence


def test_plain_ampersands_stay_as_written():
    text = "AT&T chief Ana Ruiz said R&D spending would rise next year for every division."
    analysis = analyse(text)
    assert analysis.text == text and not any(w.startswith("html_entities") for w in analysis.warnings)


@pytest.mark.parametrize(
    "text, content",
    [
        ("<p>Trade Minister Ana Ruiz said the deal was bad for farmers.</p><p>She spoke in Madrid.</p>",
         "the deal was bad for farmers"),
        ('<div class="q">"We will not sign the deal," Trade Minister Ana Ruiz said.</div>',
         "We will not sign the deal,"),
        ('"We will not sign the deal," Trade Minister Ana Ruiz said.<br>"It is bad for farmers," she added.',
         "It is bad for farmers,"),
    ],
)
def test_statements_next_to_tags_are_kept_and_their_text_has_no_edge_tags(text, content):
    examples = build_examples(text, "html")
    ours = [ex for ex in examples if ex.meta["content"] == content]
    assert ours and ours[0].speaker == "Ana Ruiz"
    for ex in examples:
        assert text[ex.start : ex.end] == ex.text
        assert not ex.text.startswith("<") and not ex.text.endswith(">")


def test_manifest_says_what_offsets_refer_to(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    manifest = build(str(source), str(tmp_path / "o.jsonl"))
    assert "HTML entities decoded" in manifest["offsets"]


# --- 2. workers die with the builder -------------------------------------------------------------------


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found |= {int(c) for c in task.read_text().split()}
        except OSError:
            pass
    return found


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie (a killed worker waiting to be reaped holds nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_the_builder_takes_its_workers_with_it(tmp_path):
    source = tmp_path / "articles.jsonl"
    # long articles: a worker left alive would go on parsing its chunk for many seconds, not exit at once
    rows = [{"id": f"a{i}", "text": "\n\n".join([ARTICLE] * 60)} for i in range(200)]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    command = [sys.executable, "-m", "stancelab.build", "--input", str(source), "--output", str(tmp_path / "o.jsonl"),
               "--num-proc", "2", "--quiet"]
    builder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120  # spaCy loads first; a loaded shared machine is slow
        while len(workers) < 2 and builder.poll() is None and time.monotonic() < deadline:
            workers = _children(builder.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, f"no workers seen; builder exit {builder.poll()}: {builder.stderr.read()}"
        os.kill(builder.pid, signal.SIGKILL)
        builder.wait(timeout=30)
        deadline = time.monotonic() + 5  # the kernel kills them at once; this bounds a failure, not a speed
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [w for w in workers if _alive(w)]
        assert not left, f"workers {left} outlived the killed builder"
    finally:
        if builder.poll() is None:
            builder.kill()
            builder.wait()
        for w in workers:
            if _alive(w):  # only after a failure above: do not leave them running
                os.kill(w, signal.SIGKILL)
    assert not (tmp_path / "o.jsonl").exists()


def test_the_html_fixture_still_builds(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    shutil.copy(FIXTURES / "html_unbalanced.txt", folder)
    manifest = build(str(folder), str(tmp_path / "o.jsonl"))
    assert manifest["statements"] >= 2 and manifest["warnings_per_reason"]["html_remnants"] == 1
