"""``python -m stancelab.experiments``: see ``stancelab.experiments.cli``."""

import sys

from stancelab.experiments.cli import main

if __name__ == "__main__":
    sys.exit(main())
