"""``python -m stancelab.train``: see ``stancelab.train.cli``."""

import sys

from stancelab.train.cli import main

if __name__ == "__main__":
    sys.exit(main())
