"""``python -m stancelab.evaluate``: see ``stancelab.evaluate.evaluation``."""

import sys

from stancelab.evaluate.evaluation import main

if __name__ == "__main__":
    sys.exit(main())
