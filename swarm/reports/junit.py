"""The JUnit XML report of ``--junit FILE``: one test case per threshold.

CI systems (GitLab, Jenkins, GitHub test reporters) read this format: a ``testsuites``
root holding one ``testsuite`` named ``swarm thresholds``; each threshold is a ``testcase``
named by its expression, with a ``failure`` whose message gives the observed value against the
limit when it failed. Text is escaped by :mod:`xml.etree`; characters that XML 1.0 cannot hold
at all (control characters in a request name) are replaced by ``?``.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from swarm.reports.thresholds import ThresholdResult

SUITE_NAME = "swarm thresholds"
CLASS_NAME = "swarm.thresholds"

# Everything outside XML 1.0's Char production.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("?", text)


def failure_message(result: ThresholdResult) -> str:
    """``"GET /x: p99<500ms: observed 812 ms, limit < 500 ms"``; also when nothing was observed."""
    return f"{result.threshold.text}: observed {result.observed_text}, limit {result.limit_text}"


def junit_tree(
    results: Sequence[ThresholdResult], *, duration: float = 0.0, timestamp: float | None = None
) -> ET.ElementTree:
    """The JUnit document of ``results``; ``duration`` (s), ``timestamp`` (epoch): the run."""
    failures = sum(not r.passed for r in results)
    root = ET.Element("testsuites", _counts(len(results), failures, duration))
    root.set("name", SUITE_NAME)
    suite = ET.SubElement(root, "testsuite", _counts(len(results), failures, duration))
    suite.set("name", SUITE_NAME)
    if timestamp is not None:
        when = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        suite.set("timestamp", when)
    for result in results:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": CLASS_NAME, "name": _clean(result.threshold.text), "time": "0"},
        )
        if not result.passed:
            failure = ET.SubElement(
                case, "failure", {"message": _clean(failure_message(result)), "type": "threshold"}
            )
            failure.text = _clean(failure_message(result))
        else:
            out = ET.SubElement(case, "system-out")
            out.text = _clean(f"observed {result.observed_text}, limit {result.limit_text}")
    ET.indent(root)
    return ET.ElementTree(root)


def _counts(tests: int, failures: int, duration: float) -> dict[str, str]:
    return {
        "tests": str(tests),
        "failures": str(failures),
        "errors": "0",
        "skipped": "0",
        "time": f"{duration:.3f}",
    }


def write_junit(
    results: Sequence[ThresholdResult],
    path: str | os.PathLike[str],
    *,
    duration: float = 0.0,
    timestamp: float | None = None,
) -> Path:
    """Write :func:`junit_tree` to ``path`` (UTF-8, with an XML declaration); returns the path.

    Missing parent directories are created; the file is replaced atomically.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tree = junit_tree(results, duration=duration, timestamp=timestamp)
    tree.write(temporary, encoding="utf-8", xml_declaration=True)
    os.replace(temporary, target)
    return target
