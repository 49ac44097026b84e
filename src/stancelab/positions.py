"""Command entry point: ``python -m stancelab.positions`` runs ``stancelab.predict.positions.main``."""

import sys

from stancelab.predict.positions import main

if __name__ == "__main__":
    sys.exit(main())
