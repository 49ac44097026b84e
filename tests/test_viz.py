"""Plots and the stance map's data: files written, colours per label, the speaker x target matrix."""

import pandas as pd

from stancelab import viz

LABELS = ["support", "oppose", "conditional"]


def positions() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"speaker": "Ana Ruiz", "target": "the trade deal", "label": "support", "confidence": 0.9},
            {"speaker": "Ana Ruiz", "target": "the trade deal", "label": "oppose", "confidence": 0.6},
            {"speaker": "Tom Hale", "target": "tariffs", "label": "oppose", "confidence": 0.8},
        ]
    )


def test_label_colours_are_fixed_for_the_project_labels_and_distinct_for_others():
    assert viz.label_colour("support", LABELS) == "#1a9850" and viz.label_colour("oppose", LABELS) == "#d73027"
    other = ["FAVOR", "AGAINST", "NONE"]
    assert len({viz.label_colour(label, other) for label in other}) == 3


def test_stance_matrix_keeps_the_most_confident_label_per_cell():
    speakers, targets, cells = viz.stance_matrix(positions())
    assert sorted(speakers) == ["Ana Ruiz", "Tom Hale"] and sorted(targets) == ["tariffs", "the trade deal"]
    by_cell = {
        (s, t): cells[i][j] for i, s in enumerate(speakers) for j, t in enumerate(targets) if cells[i][j] is not None
    }
    assert by_cell == {("Ana Ruiz", "the trade deal"): ("support", 0.9), ("Tom Hale", "tariffs"): ("oppose", 0.8)}


def test_plots_write_png_files(tmp_path):
    metrics = {"labels": LABELS, "confusion_matrix": [[2, 1, 0], [0, 3, 0], [1, 0, 2]]}
    path = viz.plot_confusion(metrics, tmp_path / "confusion.png", "test")
    assert path.read_bytes()[:4] == b"\x89PNG"
    stance_map = viz.plot_stance_map(positions(), tmp_path / "map.png")
    assert stance_map.read_bytes()[:4] == b"\x89PNG"
