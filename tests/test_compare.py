"""``swarm compare``: two --json-file reports side by side, regressions flagged, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fake_clock import FakeClock

from swarm import cli
from swarm.compare import parse_tolerance, run
from swarm.reports.json import write_json_file
from swarm.stats import RequestStats


def report(
    path: Path, *, ms: float = 100.0, requests: int = 100, failures: int = 0, seconds: float = 10
) -> Path:
    """A --json-file report: GET /a at ``ms`` and POST /b at 50 ms, ``requests`` each."""
    clock = FakeClock()
    stats = RequestStats(clock=clock)
    for _ in range(requests):
        clock.advance(seconds / requests)
        stats.log_request("GET", "/a", ms, 10)
        stats.log_request("POST", "/b", 50.0, 10)
    for _ in range(failures):
        stats.log_error("GET", "/a", "boom")
    return write_json_file(stats, path)


def compare(*args: str | Path) -> tuple[int, str]:
    out = io.StringIO()
    code = run([str(a) for a in args], stdout=out)
    return code, out.getvalue()


def test_equal_runs_pass(tmp_path: Path) -> None:
    base = report(tmp_path / "base")
    code, text = compare(base, report(tmp_path / "new"))
    assert code == 0
    assert "REGRESSION" not in text
    assert "No regression beyond 10%" in text
    for label in ("GET /a", "POST /b", "Aggregated", "req/s", "fail ratio", "p50", "p95", "p99"):
        assert label in text


def test_slower_responses_beyond_tolerance_are_regressions(tmp_path: Path) -> None:
    base = report(tmp_path / "base", ms=100.0)
    code, text = compare(base, report(tmp_path / "new", ms=130.0))
    assert code == 1
    flagged = [line for line in text.splitlines() if line.endswith("REGRESSION")]
    assert any("p95" in line and "+30.0%" in line for line in flagged)
    assert not any("req/s" in line or "fail ratio" in line for line in flagged)
    # the same change within a wider tolerance passes
    assert compare(base, tmp_path / "new.json", "--tolerance", "50%")[0] == 0


def test_fewer_requests_per_second_is_a_regression_more_is_not(tmp_path: Path) -> None:
    base = report(tmp_path / "base", seconds=10)
    slow = report(tmp_path / "slow", seconds=20)
    code, text = compare(base, slow)
    assert code == 1
    assert any("req/s" in line for line in text.splitlines() if line.endswith("REGRESSION"))
    assert compare(slow, base)[0] == 0


def test_a_rise_in_failures_counts_beyond_a_floor(tmp_path: Path) -> None:
    base = report(tmp_path / "base", requests=1000)
    assert compare(base, report(tmp_path / "one", requests=1000, failures=1))[0] == 0
    code, text = compare(base, report(tmp_path / "many", requests=1000, failures=20))
    assert code == 1
    assert any("fail ratio" in line for line in text.splitlines() if line.endswith("REGRESSION"))


def test_endpoints_in_one_report_only_are_listed_not_flagged(tmp_path: Path) -> None:
    base = report(tmp_path / "base")
    data = json.loads(base.read_text())
    (tmp_path / "less.json").write_text(json.dumps(data[:1]))
    code, text = compare(base, tmp_path / "less.json", "--tolerance", "100%")
    assert "only in BASE: POST /b" in text
    assert code == 0


def test_locust_reports_without_histograms_are_read(tmp_path: Path) -> None:
    base = report(tmp_path / "base")
    data = json.loads(base.read_text())
    for item in data:
        del item["histogram"], item["percentiles"]
    (tmp_path / "locust.json").write_text(json.dumps(data))
    assert compare(base, tmp_path / "locust.json")[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.json", "missing.json"], "cannot read"),
        (["bad.json", "bad.json"], "is not JSON"),
        (["object.json", "object.json"], "expected a list of entries"),
        (["bad.json"], "required"),
        (["object.json", "object.json", "--tolerance", "lots"], "invalid tolerance 'lots'"),
    ],
)
def test_usage_errors_exit_1_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    args: list[str], message: str,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text("[{")
    (tmp_path / "object.json").write_text("{}")
    assert run(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("swarm compare: error: ")
    assert message in err


def test_the_swarm_command_runs_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = report(tmp_path / "base")
    new = report(tmp_path / "new", ms=500.0)
    assert cli.run(["compare", str(base), str(new)]) == 1
    assert "REGRESSION" in capsys.readouterr().out


@pytest.mark.parametrize(("text", "value"), [("10%", 0.1), ("0.25", 0.25), ("0", 0.0)])
def test_tolerance_is_a_percentage_or_a_fraction(text: str, value: float) -> None:
    assert parse_tolerance(text) == pytest.approx(value)
