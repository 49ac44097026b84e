"""Shared fixtures: a tiny randomly initialised BERT built from a config, and a few labelled examples."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import hypothesis_profiles  # noqa: F401  registers the dev/ci/thorough profiles, loads $HYPOTHESIS_PROFILE (dev)

# fmt: off
ROWS = [
    ("Ana Ruiz", "Spain", "the trade deal", "Trade Minister Ana Ruiz said the trade deal was good for farmers.", "support"),
    ("Ana Ruiz", "Spain", "the tariff plan", "Ruiz rejected the tariff plan as a tax on families.", "oppose"),
    ("Karl Berg", "Germany", "the merger", "Berg said he would back the merger only if jobs were protected.", "conditional"),
    ("Karl Berg", "Germany", "the levy", "Berg welcomed the levy, calling it overdue.", "support"),
    ("UNITE", "UNITE", "the pay offer", "The union said the pay offer was an insult to nurses.", "oppose"),
    ("UNITE", "UNITE", "the strike", "The union will call off the strike provided the bonus is restored.", "conditional"),
    ("Mia Chen", "Acme", "the acquisition", "Chen said the acquisition would create a stronger company.", "support"),
    ("Mia Chen", "Acme", "the new rules", "Chen criticised the new rules as costly and vague.", "oppose"),
    ("Lena Vogt", "Germany", "the budget", "Vogt said she accepts the budget subject to a parliamentary vote.", "conditional"),
]
# fmt: on
LABELS = ["support", "oppose", "conditional"]


def example_rows(prefix: str = "a") -> list[dict]:
    rows = []
    for i, (speaker, affiliation, target, text, label) in enumerate(ROWS):
        rows.append(
            {
                "id": f"{prefix}-{i}",
                "article_id": f"{prefix}-art{i // 3}",
                "speaker": speaker,
                "speaker_affiliation": affiliation,
                "target": target,
                "text": text,
                "label": label,
                "start": 0,
                "end": len(text),
            }
        )
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def nlp():
    """The builder's spaCy pipeline, loaded once for the session (``load_nlp`` caches it)."""
    from stancelab.build.attribution.extractor import load_nlp

    return load_nlp()


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> Path:
    """A 2-layer, 32-dim BERT with a word-level vocabulary of the fixture texts, saved as safetensors."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    out = tmp_path_factory.mktemp("tiny-bert")
    words = sorted({w for row in ROWS for field in row[:4] for w in re.findall(r"\w+|[^\w\s]", field.lower())})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "|", *words]
    (out / "vocab.txt").write_text("\n".join(dict.fromkeys(vocab)) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(out / "vocab.txt"))
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture
def data_files(tmp_path) -> dict[str, Path]:
    return {name: write_jsonl(tmp_path / f"{name}.jsonl", example_rows(name)) for name in ("train", "dev", "test")}


@pytest.fixture
def tiny_config_file(tmp_path, tiny_encoder, data_files) -> Path:
    """A config that trains the tiny encoder for a few steps into tmp_path/runs."""
    import yaml

    config = {
        "data": {**{name: str(path) for name, path in data_files.items()}, **FIXTURE_DATA_YAML},
        "model": {"name_or_path": str(tiny_encoder), "max_length": 48},
        "train": {
            "output_dir": str(tmp_path / "runs"),
            "run_name": "tiny",
            "epochs": 2,
            "batch_size": 4,
            "learning_rate": 1e-3,
            "early_stopping_patience": 0,
        },
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


# The fixture rows are the three stance labels and nothing else: no real-news files, no silver data.
FIXTURE_DATA = [
    "data.labels=[support, oppose, conditional]",
    "data.extra_train=[]",
    "data.extra_train_repeat=[]",
    "data.extra_dev=[]",
    "data.extra_test=[]",
    "data.silver=",
]


FIXTURE_DATA_YAML = {"labels": ["support", "oppose", "conditional"], "extra_train": [], "extra_train_repeat": [],
                     "extra_dev": [], "extra_test": [], "silver": ""}


def train_tiny_run(root: Path, encoder: Path, name: str, *overrides: str) -> Path:
    """The one factory of trained-run fixtures: the tiny encoder, the fixture rows, 2 epochs; returns the run."""
    from stancelab.config import load_config
    from stancelab.train.run import train

    files = {split: write_jsonl(root / f"{split}.jsonl", example_rows(split)) for split in ("train", "dev", "test")}
    settings = [f"data.{split}={path}" for split, path in files.items()] + [
        f"model.name_or_path={encoder}",
        "model.max_length=48",
        f"train.output_dir={root / 'runs'}",
        f"train.run_name={name}",
        "train.epochs=2",
        "train.batch_size=4",
        "train.learning_rate=1e-3",
        *FIXTURE_DATA,
        *overrides,
    ]
    run_dir = root / "runs" / name
    train(load_config(None, settings), run_dir)
    return run_dir


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, tiny_encoder) -> Path:
    """One finished tiny run with the library's [CLS] head, shared by the evaluate/predict tests."""
    return train_tiny_run(tmp_path_factory.mktemp("run"), tiny_encoder, "shared", "model.pooling=cls")
