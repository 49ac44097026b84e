"""Command entry point: ``python -m stancelab.compare`` runs ``stancelab.evaluate.compare.main``."""

import sys

from stancelab.evaluate.compare import main

if __name__ == "__main__":
    sys.exit(main())
