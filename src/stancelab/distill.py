"""Command entry point: ``python -m stancelab.distill`` runs ``stancelab.train.distill.main``."""

import sys

from stancelab.train.distill import main

if __name__ == "__main__":
    sys.exit(main())
