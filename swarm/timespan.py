"""Time spans as people write them on the command line: ``90``, ``30s``, ``5m``, ``1h30m``."""

from __future__ import annotations

import re

from swarm.exceptions import ConfigError

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_timespan(text: str) -> float:
    """Seconds in ``text``: a bare number of seconds, or parts such as ``1h30m10s``.

    Raises ConfigError for anything else (empty, negative, unknown unit).
    """
    s = str(text).strip().lower().replace(" ", "")
    if not s:
        raise ConfigError("empty time span; write it as 90, 30s, 5m or 1h30m")
    try:
        value = float(s)
    except ValueError:
        pass
    else:
        if value < 0:
            raise ConfigError(f"negative time span {text!r}")
        return value
    pos = 0
    total = 0.0
    for match in _PART.finditer(s):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT[match.group(2)]
        pos = match.end()
    if pos != len(s) or pos == 0:
        raise ConfigError(
            f"invalid time span {text!r}; write it as 90 (seconds), 30s, 5m, 1h30m or 1h30m10s"
        )
    return total
