"""Report paths are checked before a test starts, not found unwritable after it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from swarm.cli import check_report_paths
from swarm.exceptions import ConfigError


def options(**paths: str) -> argparse.Namespace:
    given = {"json_file": None, "html_file": None, "junit": None, "csv_prefix": None, **paths}
    return argparse.Namespace(**given)


def test_paths_in_writable_or_missing_directories_pass(tmp_path: Path) -> None:
    check_report_paths(
        options(
            json_file=str(tmp_path / "report"),
            html_file=str(tmp_path / "new" / "deeper" / "report_{u}.html"),
            junit=str(tmp_path / "junit.xml"),
            csv_prefix=str(tmp_path / "csv" / "run"),
        )
    )


@pytest.mark.parametrize(
    ("dest", "flag"),
    [("json_file", "--json-file"), ("html_file", "--html"), ("junit", "--junit"),
     ("csv_prefix", "--csv")],
)  # fmt: skip
def test_a_file_in_the_way_is_refused_naming_the_flag(tmp_path: Path, dest: str, flag: str) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match=f"{flag} .*is a file, not a directory"):
        check_report_paths(options(**{dest: str(blocker / "out" / "report")}))


def test_a_directory_where_the_file_goes_is_refused(tmp_path: Path) -> None:
    (tmp_path / "report.html").mkdir()
    with pytest.raises(ConfigError, match=r"--html .*is a directory, not a file"):
        check_report_paths(options(html_file=str(tmp_path / "report.html")))
    (tmp_path / "run.json").mkdir()
    with pytest.raises(ConfigError, match=r"--json-file .*run\.json is a directory"):
        check_report_paths(options(json_file=str(tmp_path / "run")))
