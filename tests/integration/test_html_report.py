"""``--html FILE``: the real ``swarm`` command writes the report, headless and on a master,
and a headless Chromium opens the file offline and draws its charts.

``SWARM_SAVE_SCREENSHOT_REPORT=docs/img/report.png`` also saves the report for the docs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import console_errors, save_screenshot, start_chromium, wait_until
from swarm_nodes import SHOPPER, free_port

from swarm.demo import DemoTarget

pytestmark = pytest.mark.integration


#: What ``chart_series`` puts into the page, read back from its script.
CHART_DATA = re.compile(r"const data = (\{.*?\});")


def chart_data(page: str) -> dict[str, list[float]]:
    match = CHART_DATA.search(page)
    assert match, "the report holds no chart data"
    data: dict[str, list[float]] = json.loads(match.group(1))
    return data


def between(page: str, start: str, end: str) -> str:
    """The text after the first ``start`` up to the next ``end``."""
    return page.split(start, maxsplit=1)[1].split(end, maxsplit=1)[0]


def names_in(page: str, table: str) -> list[str]:
    body = between(page, f'<table id="{table}">', "</table>")
    return re.findall(r'<td class="name">(.*?)</td>', body)


def run_headless(swarm_cmd: Any, path: Path, target: DemoTarget, run_time: str) -> Path:
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-H", target.url, "-u", "3", "-r", "10",
        "-t", run_time, "--html", "out/report_{u}u_{r}r_{t}s.html", "--json-file", "report",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = swarm_cmd.cwd / "out" / f"report_3u_10r_{run_time.rstrip('s')}s.html"
    assert f"HTML report: {report.relative_to(swarm_cmd.cwd)}" in result.stderr
    return report


def test_headless_run_writes_the_report_where_the_placeholders_say(
    swarm_cmd: Any, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    page = run_headless(swarm_cmd, userfile(SHOPPER), target, "3s").read_text(encoding="utf-8")
    assert names_in(page, "stats") == ["/product/[id]", "/products", "Aggregated"]
    total = sum(int(str(e["num_requests"])) for e in swarm_cmd.json_report())
    aggregated = between(page, '<tr class="total">', "</tr>")
    assert f"<td>{total:,}</td>" in aggregated
    data = chart_data(page)
    assert len(data["time"]) >= 2 and max(data["users"]) == 3 and max(data["rps"]) > 0
    assert "Shopper" in page and target.url in page


def test_a_master_reports_what_its_workers_did(
    nodes: Callable[..., Any], swarm_cmd: Any, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path, port = userfile(SHOPPER), free_port()
    master = nodes(
        "-f", str(path), "--master", "--headless", "--master-bind-host", "127.0.0.1",
        "--master-bind-port", str(port), "-H", target.url, "-u", "4", "-r", "20", "-t", "3s",
        "--expect-workers", "1", "--stop-timeout", "0", "--html", "dist.html",
        "--json-file", "report",
    )  # fmt: skip
    worker = nodes("-f", str(path), "--worker", "--master-port", str(port))
    assert master.finish() == 0, master.stderr
    assert worker.finish() == 0, worker.stderr
    page = (swarm_cmd.cwd / "dist.html").read_text(encoding="utf-8")
    total = sum(int(str(e["num_requests"])) for e in swarm_cmd.json_report())
    aggregated = between(page, '<tr class="total">', "</tr>")
    assert total > 0 and f"<td>{total:,}</td>" in aggregated
    assert re.search(r"<dt>Workers</dt><dd>\d+</dd>", page)
    assert max(chart_data(page)["users"]) == 4


@pytest.fixture
def chromium() -> Iterator[Any]:
    driver = start_chromium()
    try:
        yield driver
    finally:
        driver.quit()


#: How many pixels of a chart's canvas are not transparent: lines, axes, labels.
DRAWN_PIXELS = """
const canvas = arguments[0];
const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
let drawn = 0;
for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) { drawn += 1; } }
return drawn;
"""


def test_the_file_opens_offline_in_chromium_with_its_charts_drawn(
    swarm_cmd: Any, userfile: Callable[..., Path], target: DemoTarget, chromium: Any
) -> None:
    report = run_headless(swarm_cmd, userfile(SHOPPER), target, "4s")
    target.stop()  # nothing left to reach: the page must stand on its own
    chromium.get(report.resolve().as_uri())
    wait_until(chromium, lambda d: d.execute_script("return document.body.dataset.charts"),
               "the charts to be drawn")  # fmt: skip
    canvases = chromium.find_elements("css selector", ".uplot canvas")
    assert len(canvases) == 3
    assert all(chromium.execute_script(DRAWN_PIXELS, canvas) > 100 for canvas in canvases)
    rows = chromium.find_elements("css selector", "#stats tbody tr")
    assert [row.find_element("css selector", "td.name").text for row in rows] == [
        "/product/[id]",
        "/products",
        "Aggregated",
    ]
    assert console_errors(chromium) == []
    save_screenshot(chromium, "SWARM_SAVE_SCREENSHOT_REPORT")
