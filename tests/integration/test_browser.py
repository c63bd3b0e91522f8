"""The web UI in a real browser: a user starts, watches, changes and stops a test.

The real ``swarm`` command serves the page on 127.0.0.1 against the demo target; a headless
Chromium (see ``browser_helpers``) clicks and types as a user would. Every wait is for a
condition on the page, bounded by ``WAIT_LIMIT_S``, never for time passing.

``SWARM_SAVE_SCREENSHOT=docs/img/dashboard.png`` also saves the dashboard for the README.
"""

from __future__ import annotations

import csv
import io
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from browser_helpers import console_errors, save_screenshot, start_chromium, wait_until
from swarm_nodes import Node

from swarm.demo import DemoTarget
from swarm.reports.csv import SERVICE_COLUMNS, STATS_COLUMNS

pytestmark = pytest.mark.integration

By = pytest.importorskip(
    "selenium.webdriver.common.by", reason="the browser test needs selenium (the dev extra)"
).By

SHOPPER = """
    import random

    from swarm import HttpUser, constant, task

    class Shopper(HttpUser):
        wait_time = constant(0.05)

        def on_start(self):
            self.client.post("/login", data={"username": "ada", "password": "secret"})

        @task(4)
        def products(self):
            self.client.get("/products")

        @task(3)
        def product(self):
            self.client.get(f"/product/{random.randint(1, 10)}", name="/product/[id]")

        @task(2)
        def search(self):
            self.client.get("/search?q=lamp", name="/search")

        @task(1)
        def add_to_cart(self):
            self.client.post("/cart", data={"product_id": random.randint(1, 10)})
"""

#: A userfile whose load shape holds 2 users for ten minutes: the tests stop it before.
SHAPED = """
    from swarm import HttpUser, constant, task
    from swarm.shapes import Stage, StagesShape

    class Browser(HttpUser):
        wait_time = constant(0.05)

        @task
        def products(self):
            self.client.get("/products")

    class HoldTwo(StagesShape):
        stages = [Stage(600, 2, 20)]
"""

#: A userfile whose arrival rate holds 20 iterations/s for ten minutes with at most 3 users:
#: the test stops it before.
ARRIVAL = """
    from swarm import HttpUser, constant, task
    from swarm.shapes import ArrivalRateShape, RateStage

    class Visitor(HttpUser):
        wait_time = constant(0.05)  # the closed model's; the open model has none

        @task
        def products(self):
            self.client.get("/products")

    class Steady(ArrivalRateShape):
        start_rate = 20
        stages = [RateStage(600, 20)]
        max_users = 3
"""

#: The stats table's endpoint rows for SHOPPER's requests.
ENDPOINTS = {"/login", "/products", "/product/[id]", "/search", "/cart"}

#: A bound on any one HTTP call made by the test itself.
HTTP_TIMEOUT = 10

#: The console message Chromium logs for a reply the page expects (a 400 for invalid input).
BAD_REQUEST_LOG = "status of 400 (BAD REQUEST)"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    driver = start_chromium()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chromium: Any) -> Iterator[Any]:
    """The module's browser; afterwards on a blank page with its console emptied, so that
    a page still polling a swarm this test ended reports nothing into the next test."""
    yield chromium
    chromium.get("about:blank")
    chromium.get_log("browser")


@pytest.fixture
def serve(
    swarm_cmd: Any, userfile: Callable[..., Path]
) -> Iterator[Callable[..., tuple[Node, str]]]:
    """Start ``swarm`` in web mode (any free port) for a userfile (SHOPPER unless ``source``
    says otherwise) and return it with the page's URL."""
    started: list[Node] = []

    def start(*extra: str, source: str = SHOPPER) -> tuple[Node, str]:
        path = userfile(source)
        node = Node(swarm_cmd.start("-f", str(path), "--web-port", "0", *extra))
        started.append(node)
        return node, node.wait_for(r"Web UI at (\S+)").group(1)

    yield start
    for node in started:  # only what this test started, by PID
        if node.proc.poll() is None:
            node.proc.kill()
            node.proc.wait()


# ---- what a user reads on the page -------------------------------------------------------


def by_id(driver: Any, element_id: str) -> Any:
    return driver.find_element(By.ID, element_id)


def text_of(driver: Any, element_id: str) -> str:
    return str(by_id(driver, element_id).text).strip()


#: The stats table's rows at one instant: the page replaces them at every refresh, so rows
#: found one call earlier may be gone by the next.
READ_STATS_TABLE = """
    return [...document.querySelectorAll("#stats-table tbody tr")].map((row) => ({
        kind: row.className,
        name: row.dataset.name || row.cells[1]?.textContent,
        requests: row.cells[2]?.textContent,
    }));
"""


def stats_table(driver: Any) -> list[dict[str, str]]:
    """The rows of the stats table (endpoints, then Aggregated): kind, name, # Requests."""
    return list(driver.execute_script(READ_STATS_TABLE))


def aggregated_requests(driver: Any) -> int:
    """The # Requests of the Aggregated row (0 before the row exists)."""
    rows = [row for row in stats_table(driver) if row["kind"] == "aggregated"]
    return int(rows[0]["requests"]) if rows else 0


def table_counts(driver: Any) -> tuple[dict[str, int], int]:
    """Endpoint name -> its # Requests, and the Aggregated row's, from one reading."""
    rows = stats_table(driver)
    assert rows[-1]["kind"] == "aggregated" and rows[-1]["name"] == "Aggregated", rows
    endpoints = {row["name"]: int(row["requests"]) for row in rows if row["kind"] == "endpoint"}
    return endpoints, int(rows[-1]["requests"])


def chart_points(driver: Any) -> dict[str, int]:
    return {
        chart: int(by_id(driver, chart).get_attribute("data-points"))
        for chart in ("chart-rps", "chart-rt", "chart-users")
    }


def type_into(driver: Any, element_id: str, text: str) -> None:
    field = by_id(driver, element_id)
    field.clear()
    field.send_keys(text)


# ---- the tests ---------------------------------------------------------------------------


def test_a_user_starts_watches_edits_stops_and_downloads(
    browser: Any, serve: Callable[..., tuple[Node, str]], target: DemoTarget
) -> None:
    node, url = serve()  # no -H: the user types the host into the form
    browser.get(url)
    wait_until(browser, lambda d: by_id(d, "start-panel").is_displayed(), "the start form")
    assert text_of(browser, "state") == "ready"

    type_into(browser, "user_count", "3")
    type_into(browser, "spawn_rate", "30")
    type_into(browser, "host", target.url)
    by_id(browser, "start-button").click()
    wait_until(browser, lambda d: by_id(d, "dashboard").is_displayed(), "the dashboard")

    # The table fills in, and its counts grow from one refresh to the next.
    first = wait_until(browser, aggregated_requests, "an Aggregated row with requests")
    wait_until(browser, lambda d: aggregated_requests(d) > first, "the request count to grow")
    wait_until(browser, lambda d: set(table_counts(d)[0]) == ENDPOINTS, "a row per endpoint")
    endpoints, total = table_counts(browser)
    assert sum(endpoints.values()) == total
    assert text_of(browser, "host-display") == target.url
    assert text_of(browser, "fail-ratio") == "0%"
    wait_until(browser, lambda d: text_of(d, "user-count") == "3 / 3", "3 users running")

    by_id(browser, "tab-charts").click()
    drawn = wait_until(browser, lambda d: min(chart_points(d).values()), "points on the charts")
    wait_until(browser, lambda d: min(chart_points(d).values()) > drawn, "the charts to grow")
    assert by_id(browser, "chart-rps").find_elements(By.TAG_NAME, "canvas"), "no chart drawn"

    by_id(browser, "edit-button").click()
    wait_until(browser, lambda d: by_id(d, "edit-dialog").is_displayed(), "the edit dialog")
    assert by_id(browser, "edit_user_count").get_attribute("value") == "3"
    type_into(browser, "edit_user_count", "5")
    by_id(browser, "edit-submit-button").click()
    wait_until(browser, lambda d: not by_id(d, "edit-dialog").is_displayed(), "the dialog gone")
    wait_until(browser, lambda d: text_of(d, "user-count") == "5 / 5", "5 users in the header")

    by_id(browser, "tab-stats").click()
    wait_until(browser, lambda d: set(table_counts(d)[0]) == ENDPOINTS, "the stats table again")
    save_screenshot(browser)

    by_id(browser, "stop-button").click()
    wait_until(browser, lambda d: text_of(d, "state") == "stopped", "the state 'stopped'")
    assert by_id(browser, "new-test-button").is_displayed()
    assert not by_id(browser, "stop-button").is_displayed()

    by_id(browser, "tab-downloads").click()
    href = by_id(browser, "download-requests-csv").get_attribute("href")
    assert href == f"{url}stats/requests/csv"
    rows = list(csv.reader(io.StringIO(requests.get(href, timeout=HTTP_TIMEOUT).text)))
    assert rows[0] == STATS_COLUMNS and rows[-1][1] == "Aggregated"

    # What swarm counted is what the target served, but for requests cut short by the stop.
    stats = requests.get(f"{url}stats/requests", timeout=HTTP_TIMEOUT).json()
    counted = stats["stats"][-1]["num_requests"]
    assert int(rows[-1][2]) == counted
    assert target.total_served - 5 <= counted <= target.total_served
    assert console_errors(browser) == []

    node.proc.send_signal(signal.SIGINT)
    assert node.finish() == 0, node.stderr


def test_invalid_input_is_shown_beside_its_field_and_the_page_still_works(
    browser: Any, serve: Callable[..., tuple[Node, str]], target: DemoTarget
) -> None:
    node, url = serve("-H", target.url)
    browser.get(url)
    wait_until(browser, lambda d: by_id(d, "start-panel").is_displayed(), "the start form")
    assert by_id(browser, "host").get_attribute("value") == target.url  # -H prefills it

    type_into(browser, "user_count", "-1")
    type_into(browser, "run_time", "soon")
    by_id(browser, "start-button").click()
    wait_until(browser, lambda d: text_of(d, "user_count-error"), "a message beside users")
    assert by_id(browser, "user_count-error").is_displayed()
    assert text_of(browser, "run_time-error")
    assert text_of(browser, "spawn_rate-error") == ""
    assert by_id(browser, "user_count").get_attribute("aria-invalid") == "true"
    assert by_id(browser, "start-panel").is_displayed()
    assert requests.get(f"{url}stats/requests", timeout=HTTP_TIMEOUT).json()["state"] == "ready"

    # Corrected, the same form starts the test and the messages go away.
    type_into(browser, "user_count", "1")
    by_id(browser, "run_time").clear()
    by_id(browser, "start-button").click()
    wait_until(browser, lambda d: by_id(d, "dashboard").is_displayed(), "the dashboard")
    assert text_of(browser, "user_count-error") == ""
    wait_until(browser, aggregated_requests, "an Aggregated row with requests")
    assert console_errors(browser, expected=[BAD_REQUEST_LOG]) == []

    node.proc.send_signal(signal.SIGTERM)
    assert node.finish() == 0, node.stderr


def test_a_load_shape_sets_the_users_instead_of_the_form(
    browser: Any, serve: Callable[..., tuple[Node, str]], target: DemoTarget
) -> None:
    node, url = serve("-H", target.url, source=SHAPED)
    browser.get(url)
    wait_until(browser, lambda d: by_id(d, "start-panel").is_displayed(), "the start form")
    assert "HoldTwo" in text_of(browser, "shape-notice")
    assert text_of(browser, "shape-name") == "HoldTwo"
    assert not by_id(browser, "user_count").is_displayed()
    assert not by_id(browser, "spawn_rate").is_displayed()
    assert by_id(browser, "host").is_displayed()

    by_id(browser, "start-button").click()
    wait_until(browser, lambda d: by_id(d, "dashboard").is_displayed(), "the dashboard")
    wait_until(browser, lambda d: text_of(d, "user-count") == "2 / 2", "the shape's 2 users")
    wait_until(browser, aggregated_requests, "an Aggregated row with requests")
    assert not by_id(browser, "edit-button").is_displayed()  # the shape owns the user count

    by_id(browser, "stop-button").click()
    wait_until(browser, lambda d: text_of(d, "state") == "stopped", "the state 'stopped'")
    by_id(browser, "new-test-button").click()
    wait_until(browser, lambda d: by_id(d, "start-panel").is_displayed(), "the form again")
    assert by_id(browser, "shape-notice").is_displayed()
    assert console_errors(browser) == []

    node.proc.send_signal(signal.SIGTERM)
    assert node.finish() == 0, node.stderr


def iterations(driver: Any) -> int:
    """The iterations the arrival box shows (0 while it is empty)."""
    return int(text_of(driver, "arrival-iterations").replace(",", "") or 0)


def stats_headers(driver: Any) -> list[str]:
    return [
        str(th.text).strip() for th in by_id(driver, "stats-head").find_elements(By.TAG_NAME, "th")
    ]


def test_an_arrival_rate_shows_its_rates_iterations_and_service_times(
    browser: Any, serve: Callable[..., tuple[Node, str]], target: DemoTarget
) -> None:
    node, url = serve("-H", target.url, source=ARRIVAL)
    browser.get(url)
    wait_until(browser, lambda d: by_id(d, "start-panel").is_displayed(), "the start form")
    notice = text_of(browser, "shape-notice")
    assert "The arrival rate 20/s" in notice and "(Steady)" in notice, notice
    assert "up to 3 users" in notice
    assert not by_id(browser, "user_count").is_displayed()

    by_id(browser, "start-button").click()
    wait_until(browser, lambda d: by_id(d, "arrival").is_displayed(), "the arrival box")
    assert "requested" in text_of(browser, "arrival")
    assert text_of(browser, "arrival-requested").startswith("20/s")
    first = wait_until(browser, iterations, "iterations in the arrival box")
    wait_until(browser, lambda d: iterations(d) > first, "the iterations to grow")
    assert text_of(browser, "arrival-dropped") == "0"
    assert "warning" not in by_id(browser, "arrival-dropped-item").get_attribute("class")
    assert not by_id(browser, "edit-button").is_displayed()  # the rate owns the users

    # The corrected and the uncorrected percentiles side by side, each header saying which.
    wait_until(browser, aggregated_requests, "an Aggregated row with requests")
    headers = stats_headers(browser)
    assert "99%ile (ms) corrected" in headers
    assert "99%ile (ms) service, uncorrected" in headers
    assert by_id(browser, "stats-times-note").is_displayed()

    by_id(browser, "stop-button").click()
    wait_until(browser, lambda d: text_of(d, "state") == "stopped", "the state 'stopped'")
    assert by_id(browser, "arrival").is_displayed()  # the run's final numbers stay

    download = requests.get(f"{url}stats/requests/csv", timeout=HTTP_TIMEOUT)
    header = next(csv.reader(io.StringIO(download.text)))
    assert header == [*STATS_COLUMNS, *SERVICE_COLUMNS]
    stats = requests.get(f"{url}stats/requests", timeout=HTTP_TIMEOUT).json()
    assert stats["arrival"]["iterations"] >= iterations(browser)
    assert console_errors(browser) == []

    node.proc.send_signal(signal.SIGTERM)
    assert node.finish() == 0, node.stderr
