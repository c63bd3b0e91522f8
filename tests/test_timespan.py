"""Time spans as users write them for -t and --stop-timeout."""

import pytest

from swarm.exceptions import ConfigError
from swarm.timespan import parse_timespan


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90.0),
        ("0", 0.0),
        ("2.5", 2.5),
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("1h30m10s", 5410.0),
        ("1H30M", 5400.0),
        (" 10s ", 10.0),
        ("250ms", 0.25),
    ],
)
def test_valid_time_spans(text: str, seconds: float) -> None:
    assert parse_timespan(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "1d", "-5", "5m3", "m", "1.5.2s", "10 x"])
def test_invalid_time_spans_name_the_input(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_timespan(text)
    assert "time span" in str(info.value)
