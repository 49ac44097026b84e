"""Command entry point: ``python -m stancelab.baselines`` runs ``stancelab.evaluate.baselines.main``."""

import sys

from stancelab.evaluate.baselines import main

if __name__ == "__main__":
    sys.exit(main())
