"""Hypothesis profiles for the property tests (tests/*/test_*_properties.py).

- ``dev`` (default): few examples per property, so the fast suite stays fast; spaCy parsing is the cost.
- ``thorough``: 40 times as many (thousands of cases per file): ``HYPOTHESIS_PROFILE=thorough pytest ...``,
  or ``pytest --hypothesis-profile=thorough ...`` when ``tests/conftest.py`` imports this module.
- ``ci``: the ``dev`` counts, derandomised and without the example database, for reproducible runs; the
  default when the ``CI`` environment variable is set.

Every property test module imports this module before it defines its tests (``from hypothesis_profiles
import scaled``); importing it again is harmless. No profile has a deadline: a spaCy parse or a forward
pass can take longer than Hypothesis' 200 ms default on a loaded 2-core machine, and timing is not a
property (speed is measured in bench/).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# How many times its dev count of examples each property runs under a profile (see ``scaled``).
SCALE = {"dev": 1, "ci": 1, "thorough": 40}
MAX_EXAMPLES = 5000

_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("dev", max_examples=50, deadline=None, suppress_health_check=_CHECKS)
settings.register_profile("ci", max_examples=50, deadline=None, suppress_health_check=_CHECKS, derandomize=True,
                          database=None)  # fmt: skip
settings.register_profile("thorough", max_examples=2000, deadline=None, suppress_health_check=_CHECKS)

# HYPOTHESIS_PROFILE picks the profile; otherwise one given with --hypothesis-profile (loaded before this).
_given = settings.get_current_profile_name()
_fallback = "ci" if os.environ.get("CI") else "dev"  # CI (.ci/run sets CI=true) runs the same cases every time
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or (_given if _given in SCALE else _fallback)
if PROFILE not in SCALE:
    raise ValueError(f"HYPOTHESIS_PROFILE: expected one of {', '.join(SCALE)}, found {PROFILE!r}.")
settings.load_profile(PROFILE)


def scaled(n: int) -> int:
    """``max_examples`` for a property that runs ``n`` examples under ``dev``: ``40 * n`` under ``thorough``."""
    return min(n * SCALE[PROFILE], MAX_EXAMPLES)
