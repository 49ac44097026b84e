"""Command entry point: ``python -m stancelab.evaluate_articles`` runs ``stancelab.evaluate.articles.main``."""

import sys

from stancelab.evaluate.articles import main

if __name__ == "__main__":
    sys.exit(main())
