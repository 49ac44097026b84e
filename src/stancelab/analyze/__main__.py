"""``python -m stancelab.analyze``: see ``stancelab.analyze.cli``."""

import sys

from stancelab.analyze.cli import main

sys.exit(main())
