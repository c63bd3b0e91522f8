"""Fixtures shared by the whole suite.

gevent is patched before anything else imports socket or ssl, exactly as ``import swarm`` does
in a real run; every fire of a built-in event is checked against its spec.
"""

import os

from gevent import monkey

monkey.patch_all()
os.environ["SWARM_STRICT_EVENTS"] = "1"

import pytest  # noqa: E402 -- after the monkey patch
from fake_clock import FakeClock  # noqa: E402 -- after the monkey patch


@pytest.fixture
def clock() -> FakeClock:
    """A clock the test moves by hand (the user tests' own fixture also drives pacing)."""
    return FakeClock()
