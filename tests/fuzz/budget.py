"""Hypothesis profiles and example budgets for the fuzz suite (imported by every fuzz test module,
before its @settings are made).

"ci" (the default, run by `make test`): derandomized, so every run tries the same examples and a
failure is reproducible from the printed input; no example database (nothing written into the
repo). "long" (HYPOTHESIS_PROFILE=long) multiplies every test's example budget by LONG_FACTOR,
draws new examples each run and remembers failing ones in var/hypothesis/examples (git-ignored).
"""
import os
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

# Hypothesis keeps caches (and, in the long profile, failing examples) in a folder: var/ (ignored
# by git) rather than a .hypothesis/ in the checkout.
HOME = Path(__file__).resolve().parents[2] / "var" / "hypothesis"
set_hypothesis_home_dir(HOME)

LONG_FACTOR = 40
# Fixtures used inside @given tests are read-only (the samples path) or rolled back per example
# (the database: receiving.rolled_back), so sharing a function-scoped one between examples is safe.
SHARED_FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile(
    "ci", derandomize=True, database=None, deadline=10_000, print_blob=True, suppress_health_check=SHARED_FIXTURES
)
settings.register_profile(
    "long",
    database=DirectoryBasedExampleDatabase(HOME / "examples"),
    deadline=None,
    print_blob=True,
    suppress_health_check=SHARED_FIXTURES,
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """A test's example budget under the loaded profile."""
    return n * LONG_FACTOR if PROFILE == "long" else n
