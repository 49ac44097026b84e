"""Command entry point: ``python -m stancelab.crossval`` runs ``stancelab.experiments.crossval.main``."""

import sys

from stancelab.experiments.crossval import main

if __name__ == "__main__":
    sys.exit(main())
