import json
from pathlib import Path

import pandas as pd
import pytest

from stancelab import viz
from stancelab.data.io import InputError
from stancelab.data.schema import Example, example_from_dict
from stancelab.review import articles, notebook
from stancelab.review import corpus as corpus_review
from stancelab.review import runs as runs_review

from conftest import example_rows

ARTICLE = "Ana Ruiz said the deal was <good>. She said nothing else, Berg told reporters."


def corpus_frame() -> pd.DataFrame:
    rows = example_rows("c")  # 9 rows, 3 articles (c-art0..2), labels support/oppose/conditional x 3
    for i, row in enumerate(rows):
        row.update(domain="trade" if i < 6 else "health", kind="direct" if i % 2 == 0 else "indirect")
    examples = [example_from_dict(row) for row in rows]
    return corpus_review.examples_frame(examples, {"c-art0": "train", "c-art1": "test", "c-art2": "dev"})


def statement(target: str = "the deal", **changes) -> Example:
    fields = dict(
        id="a-0",
        article_id="a",
        speaker="Ana Ruiz",
        speaker_affiliation="Spain",
        target=target,
        text="Ana Ruiz said the deal was <good>.",
        start=0,
        end=34,
        kind="indirect",
        cue="said",
        speaker_start=0,
        speaker_end=8,
        meta={"content_start": 14, "content_end": 33},
    )
    return Example(**{**fields, **changes})


def fake_run(root: Path, name: str = "run-a", macro_f1: float = 0.7) -> Path:
    """A finished run directory with just the files the review helpers read."""
    run = root / name
    run.mkdir(parents=True)
    per_class = {"support": {"f1": 0.8}, "oppose": {"f1": 0.6}}
    test = {"n": 4, "accuracy": 0.75, "macro_f1": macro_f1, "macro_f1_ci": [0.5, 0.9], "ece": 0.1}
    baseline = {"n": 4, "accuracy": 0.5, "macro_f1": 0.33, "macro_f1_ci": [0.2, 0.4], "per_class": per_class}
    metrics = {
        "dev": {**test, "per_class": per_class},
        "test": {**test, "per_class": per_class},
        "temperature": 1.0,
        "baselines": {"majority": {"C": None, "dev": baseline, "test": baseline}},
        "slices_test": {
            "kind": {
                "direct": {"n": 3, "accuracy": 1.0, "macro_f1": 1.0},
                "mixed": {"n": 1, "accuracy": 0.0, "macro_f1": 0.0},
            }
        },
    }
    (run / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    errors = [
        {"label": "support", "predicted": "oppose", "confidence": 0.91234, "speaker": "A", "target": "x", "text": "t1"},
        {"label": "oppose", "predicted": "support", "confidence": 0.6, "speaker": "B", "target": "y", "text": "t2"},
    ]
    (run / "errors_test.jsonl").write_text("".join(json.dumps(e) + "\n" for e in errors), encoding="utf-8")
    (run / "train_log.csv").write_text("epoch,loss,eval_macro_f1\n1.0,0.9,\n1.0,,0.4\n2.0,0.5,0.6\n", encoding="utf-8")
    (run / "config.yaml").write_text("model:\n  name_or_path: tiny\ntrain:\n  epochs: 2\n", encoding="utf-8")
    return run


# --- settings ---------------------------------------------------------------------------------------


def test_default_root_is_the_parent_of_notebooks(tmp_path):
    assert notebook.default_root(tmp_path / "notebooks") == tmp_path
    assert notebook.default_root(tmp_path) == tmp_path


def test_run_dirs_splits_on_commas_and_reads_relative_to_root(tmp_path):
    assert notebook.run_dirs("runs/a, runs/b,", tmp_path) == [tmp_path / "runs/a", tmp_path / "runs/b"]
    assert notebook.run_dirs(str(tmp_path / "x"), "/elsewhere") == [tmp_path / "x"]
    with pytest.raises(InputError, match="STANCELAB_RUNS: expected comma-separated run directories, found ' , '"):
        notebook.run_dirs(" , ", tmp_path)


def test_images_are_png():
    import matplotlib.pyplot as plt

    fig, _ = plt.subplots()
    assert notebook.figure_image(fig).data[:4] == b"\x89PNG"
    metrics = {"labels": ["support", "oppose"], "confusion_matrix": [[2, 1], [0, 3]]}
    assert notebook.render(viz.plot_confusion, metrics, title="t").data[:4] == b"\x89PNG"


def test_image_file_reads_a_png(tmp_path):
    metrics = {"labels": ["support", "oppose"], "confusion_matrix": [[2, 1], [0, 3]]}
    path = viz.plot_confusion(metrics, tmp_path / "c.png", "t")
    assert notebook.image_file(path).data[:4] == b"\x89PNG"


def test_quiet_progress_turns_off_transformers_progress_bars():
    from transformers.utils import logging as hf_logging

    try:
        notebook.quiet_progress()
        assert not hf_logging.is_progress_bar_enabled()
    finally:
        hf_logging.enable_progress_bar()


# --- 01: corpus -------------------------------------------------------------------------------------


def test_corpus_table_counts_labels_articles_and_totals():
    table = corpus_review.corpus_table(corpus_frame(), "split")
    assert list(table.index) == ["train", "dev", "test", "all"]
    assert list(table.columns) == ["articles", "support", "oppose", "conditional", "total"]
    assert table.loc["train"].tolist() == [1, 1, 1, 1, 3]
    assert table.loc["all"].tolist() == [3, 3, 3, 3, 9]


def test_corpus_table_by_domain_and_kind():
    frame = corpus_frame()
    assert corpus_review.corpus_table(frame, "domain")["total"].to_dict() == {"health": 3, "trade": 6, "all": 9}
    kind = corpus_review.corpus_table(frame, "kind")
    assert kind.loc["direct", ["support", "oppose", "conditional"]].tolist() == [2, 1, 2]


def test_corpus_table_names_the_missing_column():
    with pytest.raises(InputError, match="corpus_table: no column 'speaker_type'; expected one of id, "):
        corpus_review.corpus_table(corpus_frame(), "speaker_type")


def test_corpus_figure_has_one_panel_per_grouping():
    fig = corpus_review.corpus_figure(corpus_frame())
    assert [ax.get_title() for ax in fig.axes] == [f"examples per label by {by}" for by in ("split", "domain", "kind")]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["train", "dev", "test"]


def test_browse_filters_and_is_reproducible():
    frame = corpus_frame()
    shown = corpus_review.browse(frame, 2, label="support", domain="trade")
    assert len(shown) == 2 and set(shown["label"]) == {"support"} and set(shown["domain"]) == {"trade"}
    assert shown.equals(corpus_review.browse(frame, 2, label="support", domain="trade"))
    assert list(shown.columns) == corpus_review.BROWSE_COLUMNS
    assert corpus_review.browse(frame, 10, kind="direct")["id"].tolist() == ["c-0", "c-2", "c-4", "c-6", "c-8"]


def test_browse_names_the_known_values_of_a_bad_filter():
    with pytest.raises(InputError, match="browse: no example has label='neutral'; expected one of conditional, "):
        corpus_review.browse(corpus_frame(), label="neutral")


def test_highlight_statements_marks_speaker_cue_and_content():
    html = corpus_review.highlight_statements(ARTICLE, [statement()])
    speaker, cue, content = (corpus_review.SPAN_STYLES[part] for part in ("speaker", "cue", "content"))
    assert (
        f'<span style="{speaker}">Ana Ruiz</span> <span style="{cue}">said</span> '
        f'<span style="{content}">the deal was &lt;good&gt;</span>.</p>'
    ) in html
    assert "<b>Ana Ruiz</b> (indirect) on: the deal</p>" in html


def test_highlight_statements_merges_examples_of_one_statement():
    html = corpus_review.highlight_statements(ARTICLE, [statement("the deal"), statement("farmers", id="a-1")])
    assert html.count("<b>Ana Ruiz</b>") == 1
    assert "on: the deal; farmers</p>" in html


def test_find_cue_prefers_the_occurrence_outside_the_content():
    # "She said nothing else, Berg told reporters": content "She said nothing else", cue "said" only inside it
    ex = statement(
        start=35, end=78, speaker_start=58, speaker_end=62, cue="told", meta={"content_start": 35, "content_end": 56}
    )
    assert ARTICLE[slice(*corpus_review.find_cue(ARTICLE, ex))] == "told"
    inside = statement(
        start=35, end=78, speaker_start=58, speaker_end=62, cue="said", meta={"content_start": 35, "content_end": 56}
    )
    assert corpus_review.find_cue(ARTICLE, inside) == (39, 43)  # the only one, even inside the content
    assert corpus_review.find_cue(ARTICLE, statement(cue=None)) is None


# --- 02: experiments --------------------------------------------------------------------------------


def test_load_runs_names_runs_by_folder(tmp_path):
    a, b = fake_run(tmp_path / "x"), fake_run(tmp_path / "y", "run-b")
    assert runs_review.load_runs([a, b]) == {"run-a": a, "run-b": b}
    twin = fake_run(tmp_path / "z")
    assert list(runs_review.load_runs([a, twin])) == [str(a), str(twin)]
    with pytest.raises(InputError, match="expected a finished run directory with metrics.json"):
        runs_review.load_runs([tmp_path])


def test_read_train_log_gives_numbers_and_none(tmp_path):
    rows = runs_review.read_train_log(fake_run(tmp_path))
    assert rows == [
        {"epoch": 1.0, "loss": 0.9, "eval_macro_f1": None},
        {"epoch": 1.0, "loss": None, "eval_macro_f1": 0.4},
        {"epoch": 2.0, "loss": 0.5, "eval_macro_f1": 0.6},
    ]


def test_metrics_frame_has_runs_and_baselines_with_cis(tmp_path):
    runs = {"a": fake_run(tmp_path)}
    frame = runs_review.metrics_frame(runs)
    assert list(frame.index) == [("a", "fine-tuned"), ("a", "majority")]
    assert list(frame.columns) == ["n", "accuracy", "macro_f1", "ci_low", "ci_high", "f1_support", "f1_oppose", "ece"]
    assert frame.loc[("a", "fine-tuned")].tolist() == [4, 0.75, 0.7, 0.5, 0.9, 0.8, 0.6, 0.1]
    assert frame.loc[("a", "majority"), ["macro_f1", "ci_low", "ci_high"]].tolist() == [0.33, 0.2, 0.4]
    assert pd.isna(frame.loc[("a", "majority"), "ece"])
    assert list(runs_review.metrics_frame(runs, "dev", baselines=False).index) == [("a", "fine-tuned")]


def test_metrics_frame_names_the_training_method(tmp_path):
    run = fake_run(tmp_path)
    (run / "config.yaml").write_text("train:\n  method: setfit\n", encoding="utf-8")
    assert list(runs_review.metrics_frame({"a": run}).index) == [("a", "setfit"), ("a", "majority")]
    (run / "config.yaml").write_text("train:\n  seed: 1\n", encoding="utf-8")  # written before train.method
    assert runs_review.system_name(run) == "fine-tuned"


def test_ci_figure_has_one_row_per_system(tmp_path):
    fig = runs_review.ci_figure(runs_review.metrics_frame({"a": fake_run(tmp_path)}))
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a / fine-tuned", "a / majority"]


def test_slice_frame_one_column_per_run(tmp_path):
    runs = {"a": fake_run(tmp_path / "1"), "b": fake_run(tmp_path / "2")}
    frame = runs_review.slice_frame(runs, "accuracy")
    assert frame.to_dict(orient="index") == {
        ("kind", "direct"): {"n": 3, "a": 1.0, "b": 1.0},
        ("kind", "mixed"): {"n": 1, "a": 0.0, "b": 0.0},
    }
    assert frame.index.names == ["slice", "value"]


def test_top_errors_most_confident_first(tmp_path):
    errors = runs_review.top_errors(fake_run(tmp_path), n=1)
    assert list(errors.columns) == runs_review.ERROR_COLUMNS
    assert errors[["label", "predicted", "confidence", "text"]].values.tolist() == [["support", "oppose", 0.912, "t1"]]


def test_top_errors_of_a_run_without_errors(tmp_path):
    run = fake_run(tmp_path)
    (run / "errors_test.jsonl").write_text("", encoding="utf-8")
    assert runs_review.top_errors(run).empty


def test_config_frame(tmp_path):
    keys = ("model.name_or_path", "train.epochs", "train.seed")
    frame = runs_review.config_frame({"a": fake_run(tmp_path)}, keys=keys)
    assert frame["a"].tolist() == ["tiny", 2, None]


def test_reads_a_real_run_directory(trained_run):
    runs = runs_review.load_runs([trained_run])
    assert list(runs_review.metrics_frame(runs).index.get_level_values("system"))[0] == "fine-tuned"
    assert {"kind", "domain", "speaker_type", "target"} <= set(runs_review.slice_frame(runs).index.get_level_values(0))
    assert runs_review.read_train_log(trained_run)[0]["epoch"] == 1.0


# --- 03: articles -----------------------------------------------------------------------------------


def article_table() -> pd.DataFrame:
    rows = [
        ("Ana Ruiz", "the deal", "support", 0.9),
        ("Ana Ruiz", "the levy", "oppose", 0.6),
        ("Karl Berg", "the deal", "conditional", 0.7),
        ("Karl Berg", "the deal", "support", 0.8),
    ]
    frame = pd.DataFrame(rows, columns=["speaker", "target", "label", "confidence"])
    return frame.assign(kind="direct", cue="said")


def test_stance_map_figure_puts_targets_down_and_speakers_across():
    ax = viz.stance_map_figure(article_table(), title="map").axes[0]
    assert ax.get_title() == "map"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["the deal", "the levy"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Ana Ruiz", "Karl Berg"]
    assert sorted(t.get_text() for t in ax.texts) == ["oppo\n0.60", "supp\n0.80", "supp\n0.90"]  # most confident wins


def test_article_view_keeps_the_columns_a_reader_scans():
    view = articles.article_view(article_table().assign(confidence=[0.912, 0.6, 0.7, 0.8]), n=2)
    assert list(view.columns) == ["speaker", "target", "label", "confidence", "kind", "cue"]
    assert view["confidence"].tolist() == [0.91, 0.6]


def test_stance_map_crosses_actors_and_issues_and_marks_conditionals():
    table = article_table().assign(actor=["Spain", "Spain", "Germany", "Germany"],
                                   issue=["the deal", "the levy", "the deal", "the deal"],
                                   confidence=[0.9, 0.6, 0.95, 0.8])
    ax = viz.stance_map_figure(table, title="map").axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Spain", "Germany"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("actor", "issue")
    assert "if…\n0.95" in [t.get_text() for t in ax.texts]


def test_stance_map_figure_shortens_long_speaker_names_visibly():
    table = article_table().assign(speaker="A Western diplomat following the talks closely in Geneva")
    ax = viz.stance_map_figure(table).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A Western\ndiplomat\nfollowing the …"]


def _summary(macro_f1: float, conditional: float) -> dict:
    return {"macro_f1": macro_f1, "f1_conditional": conditional}


def test_lodo_frame_one_row_per_method_and_experiment(tmp_path):
    lodo = {
        "methods": {
            "tfidf_lr": {
                "folds": {"a": {}, "b": {}},
                "mean": _summary(0.6, 0.5),
                "std": _summary(0.1, 0.2),
                "selection_mean": _summary(0.62, 0.5),
                "in_domain": {"test": {"macro_f1": 0.7}},
            },
            "finetune": {"folds": {}},  # started, no fold finished yet
        }
    }
    path = tmp_path / "lodo_x" / "lodo.json"
    path.parent.mkdir()
    path.write_text(json.dumps(lodo), encoding="utf-8")
    frame = runs_review.lodo_frame([path])
    assert list(frame.index) == [("lodo_x", "tfidf_lr"), ("lodo_x", "finetune")]
    row = frame.loc[("lodo_x", "tfidf_lr")]
    assert (row["domains"], row["lodo_macro_f1"], row["lodo_without_test_split"]) == (2, 0.6, 0.62)
    assert (row["lodo_f1_conditional"], row["in_domain_test_macro_f1"]) == (0.5, 0.7)
    assert frame.loc[("lodo_x", "finetune")]["domains"] == 0
    assert runs_review.lodo_frame([]).empty


def test_curve_frame_mean_std_and_seeds_per_size(tmp_path):
    cell = {"seeds": 3, "mean": _summary(0.61, 0.5), "std": _summary(0.04, 0.1), "n_train": 200}
    curve = {"sizes": ["50", "200"], "methods": {"tfidf_lr": {"summary": {"200": cell}}}}
    path = tmp_path / "curve.json"
    path.write_text(json.dumps(curve), encoding="utf-8")
    frame = runs_review.curve_frame(path)
    assert list(frame.columns) == ["n=50", "n=200"]
    assert frame.loc["tfidf_lr"].tolist() == ["-", "0.610 ± 0.040 (3)"]
