/*
 * swarm web UI: the start form, the live dashboard, its charts and tabs.
 * Plain ES2020, no framework, no build step. Every URL is relative (no leading "/") so that
 * --web-base-path and reverse proxies work. Text from the server is only ever put into the page
 * with textContent or attributes, never as HTML: endpoint names and errors are user data.
 *
 * Element ids the browser test relies on (keep them stable):
 *   header:    #state  #user-count ("current / target")  #total-rps  #fail-ratio ("1.5%")
 *              #run-time-left  #host-display  #shape-status with #shape-name (a load shape's)
 *   banners:   #connection-error  #cpu-warning  #saturation-warning (#saturation-headline,
 *              #saturation-detail, #saturation-master)
 *   arrival:   #arrival (an arrival-rate run only) with #arrival-requested  #arrival-achieved
 *              #arrival-iterations  #arrival-dropped (#arrival-dropped-item has class
 *              "warning" when iterations were dropped)  #arrival-pool  #arrival-warning
 *   buttons:   #edit-button  #stop-button  #reset-button  #new-test-button
 *   start:     #start-panel  #start-form  #user_count  #spawn_rate  #host  #run_time
 *              #user-classes (with --class-picker; checkboxes #user-class-<Name>)
 *              #shape-notice (with a load shape: then #user_count, #spawn_rate are hidden)
 *              #start-button  #start-message  field errors #<field>-error
 *   edit:      #edit-dialog  #edit-form  #edit_user_count  #edit_spawn_rate
 *              #edit-submit-button  #edit-cancel-button  #edit-message  #edit_<field>-error
 *   dashboard: #dashboard; tabs #tab-stats #tab-charts #tab-failures #tab-exceptions
 *              #tab-workers (distributed only) #tab-logs #tab-downloads, panels #panel-<name>
 *   tables:    #stats-table (rows tr[data-testid=stats-row] with data-name / data-method;
 *              the Aggregated row is tr.aggregated, last; header #stats-head, with the
 *              th[data-column=service-p95] and service-p99 columns in an arrival-rate run,
 *              explained by #stats-times-note)  #failures-table  #exceptions-table
 *              #workers-table  #logs
 *   charts:    #chart-rps  #chart-rt  #chart-users (each has data-points = points drawn)
 *              #chart-scope (what the charts show)  #chart-totals-button (back to all requests)
 *   downloads: #download-requests-csv  #download-history-csv  #download-failures-csv
 *              #download-exceptions-csv  #download-stats-json  #download-report
 */
"use strict";

(() => {
  const POLL_INTERVAL_MS = 2000;
  // The backend keeps the whole run downsampled; the page does the same with what it appends.
  const MAX_CHART_POINTS = 3600;
  const IDLE_STATES = new Set(["ready", "stopped"]);
  const $ = (id) => document.getElementById(id);

  // ---- API ------------------------------------------------------------------------------

  /** GET a JSON document at a relative URL; throws on a non-2xx status. */
  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }

  /** POST form data; resolves to {ok, status, body} whatever the status (a 400 has errors). */
  async function postForm(url, formData) {
    const response = await fetch(url, { method: "POST", body: formData });
    let body = {};
    try {
      body = await response.json();
    } catch (_error) {
      // Not JSON (a proxy's error page, say): the status says enough.
    }
    if (!response.ok) body = { success: false, message: `HTTP ${response.status}`, ...body };
    return { ok: response.ok && body.success !== false, status: response.status, body };
  }

  /** The URL of a chart history: the totals, or one endpoint's own points. */
  function historyUrl(scope) {
    if (!scope) return "api/history";
    const query = new URLSearchParams({ name: scope.name, method: scope.method });
    return `api/history?${query}`;
  }

  // ---- DOM and formatting helpers -------------------------------------------------------

  // What renderIfChanged last rendered, by render function.
  const lastRendered = new Map();

  /** An element with text content (never parsed as HTML), attributes and children. */
  function el(tag, options = {}, children = []) {
    const node = document.createElement(tag);
    if (options.text !== undefined) node.textContent = String(options.text);
    if (options.className) node.className = options.className;
    for (const [key, value] of Object.entries(options.attrs || {})) node.setAttribute(key, value);
    for (const child of children) node.append(child);
    return node;
  }

  /** A table cell holding `text` as text. */
  function td(text, className = "") {
    return el("td", { text, className });
  }

  function replaceRows(tableId, rows, emptyText) {
    const body = $(tableId).tBodies[0];
    if (rows.length === 0) {
      const columns = $(tableId).tHead.rows[0].cells.length;
      const cell = el("td", { text: emptyText, attrs: { colspan: columns } });
      rows = [el("tr", { className: "empty" }, [cell])];
    }
    body.replaceChildren(...rows);
  }

  /** A number with at most `digits` decimals ("12.5", "3"); "—" for a missing value. */
  function formatNumber(value, digits = 2) {
    if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
    return String(Number(Number(value).toFixed(digits)));
  }

  /** Seconds as "1h 02m 03s" / "2m 05s" / "7s". */
  function formatDuration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const total = Math.max(0, Math.round(seconds));
    const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
    const pad = (n) => String(n).padStart(2, "0");
    if (h) return `${h}h ${pad(m)}m ${pad(s)}s`;
    return m ? `${m}m ${pad(s)}s` : `${s}s`;
  }

  // ---- Header and which panel is visible --------------------------------------------------

  const view = {
    state: document.body.dataset.state || "ready",
    shape: document.body.dataset.shape || null, // the load shape's name: it sets the users
    lastReport: null, // the last stats/requests reply
    startShown: false, // "New test" was clicked after a test stopped
  };

  /** Show the start form (before a test, or after "New test") or the dashboard. */
  function showPanels() {
    const showStart = view.startShown || view.state === "ready";
    $("start-panel").hidden = !showStart;
    $("dashboard").hidden = showStart;
    const idle = IDLE_STATES.has(view.state);
    // A load shape owns the user count: the server refuses edits, so none is offered.
    $("edit-button").hidden = idle || Boolean(view.shape);
    $("stop-button").hidden = idle;
    $("new-test-button").hidden = view.state !== "stopped" || showStart;
    $("reset-button").hidden = showStart;
  }

  function renderHeader(report) {
    // In an arrival-rate run the users are a pool that grows as needed, up to its maximum.
    const target = report.arrival
      ? report.arrival.max_users
      : (report.target_user_count ?? report.user_count);
    $("state").textContent = report.state;
    $("state").dataset.state = report.state;
    $("user-count").textContent = `${report.user_count} / ${target}`;
    $("total-rps").textContent = formatNumber(report.current_rps ?? report.total_rps, 1);
    $("fail-ratio").textContent = `${formatNumber((report.fail_ratio || 0) * 100, 1)}%`;
    $("run-time-left").textContent = formatDuration(report.run_time_left);
    if (report.host !== undefined) $("host-display").textContent = report.host || "—";
    $("shape-status").hidden = !view.shape;
    $("shape-name").textContent = view.shape || "";
    const saturated = renderSaturation(report.generator);
    // The saturation banner says what the CPU one would, and more.
    $("cpu-warning").hidden = !report.cpu_warning || saturated;
  }

  /** The generator's saturation verdict as a banner; returns whether a generator was saturated. */
  function renderSaturation(generator) {
    const verdict = generator || {};
    const parts = [
      ["saturation-headline", verdict.headline],
      ["saturation-detail", verdict.detail],
      ["saturation-master", verdict.master_note],
    ];
    for (const [id, text] of parts) $(id).textContent = text || "";
    $("saturation-warning").hidden = !parts.some(([, text]) => text);
    return Boolean(verdict.headline);
  }

  // ---- Arrival rate (the open model) -----------------------------------------------------

  /** A count as "11,982". */
  function formatCount(value) {
    return Number(value || 0).toLocaleString("en-US");
  }

  /** The arrival-rate box: requested vs achieved rate, iterations, drops (a warning if any). */
  function renderArrival(report) {
    const arrival = report.arrival;
    $("arrival").hidden = !arrival;
    if (!arrival) return;
    $("arrival-requested").textContent = arrival.requested;
    $("arrival-achieved").textContent = `${formatNumber(arrival.achieved_rate, 1)}/s`;
    $("arrival-iterations").textContent = formatCount(arrival.iterations);
    $("arrival-dropped").textContent = arrival.dropped_text;
    $("arrival-pool").textContent =
      `${formatCount(report.user_count)} of up to ${formatCount(arrival.max_users)} users`;
    const dropped = arrival.dropped_iterations > 0;
    $("arrival-dropped-item").classList.toggle("warning", dropped);
    $("arrival").classList.toggle("dropped", dropped);
    $("arrival-warning").textContent = arrival.drop_warning || "";
    $("arrival-warning").hidden = !arrival.drop_warning;
  }

  // ---- Statistics table -------------------------------------------------------------------

  const CORRECTED = "corrected: from each iteration's intended start";
  const SERVICE = "service time: as the client timed each request, uncorrected";

  /** A response-time percentile column: marked "corrected" in an arrival-rate run. */
  const corrected = (title, value) =>
    ({ title: `${title} (ms)`, arrival: [`${title} (ms) corrected`, CORRECTED], value });

  /** A service-time percentile column (`key` as "0.95"): an arrival-rate run's only. */
  const service = (title, key) => ({
    id: `service-p${Math.round(Number(key) * 100)}`,
    arrivalOnly: true,
    arrival: [`${title} (ms) service, uncorrected`, SERVICE],
    value: (s) => formatNumber((s.service_time_percentiles || {})[key]),
  });

  // One entry per column: its header (and, when it differs, its header in an arrival-rate
  // run, with a tooltip saying which time it is), how to read and format it from a stats
  // entry, and whether only an arrival-rate run has it.
  const STATS_COLUMNS = [
    { title: "Type", value: (s) => s.method || "" },
    { title: "Name", value: (s) => s.name, className: "name" },
    { title: "# Requests", value: (s) => s.num_requests },
    { title: "# Fails", value: (s) => s.num_failures },
    corrected("Median", (s) => formatNumber(s.median_response_time)),
    corrected("90%ile", (s) => formatNumber(s.ninetieth_response_time)),
    corrected("95%ile", (s) => formatNumber(s["response_time_percentile_0.95"])),
    corrected("99%ile", (s) => formatNumber(s.ninety_ninth_response_time)),
    service("95%ile", "0.95"),
    service("99%ile", "0.99"),
    { title: "Average (ms)", value: (s) => formatNumber(s.avg_response_time) },
    { title: "Min (ms)", value: (s) => formatNumber(s.min_response_time) },
    { title: "Max (ms)", value: (s) => formatNumber(s.max_response_time) },
    { title: "Average size (bytes)", value: (s) => formatNumber(s.avg_content_length, 0) },
    { title: "Current RPS", value: (s) => formatNumber(s.current_rps) },
    { title: "Current failures/s", value: (s) => formatNumber(s.current_fail_per_sec) },
  ];

  /** The columns shown: the arrival-only ones only in an arrival-rate run. */
  function statsColumns(arrival) {
    return STATS_COLUMNS.filter((column) => arrival || !column.arrivalOnly);
  }

  /** The header row for the closed model, or for an arrival-rate run (`arrival` true). */
  function renderStatsHead(arrival) {
    const cells = statsColumns(arrival).map((column) => {
      const [title, tip] = (arrival && column.arrival) || [column.title, ""];
      const attrs = column.id ? { "data-column": column.id } : {};
      if (tip) attrs.title = tip;
      return el("th", { text: title, className: column.className || "", attrs });
    });
    $("stats-head").replaceChildren(...cells);
    $("stats-times-note").hidden = !arrival;
  }

  /**
   * The table's rows; the last entry of `stats` is the Aggregated row (bold, not a link).
   * `arrival` (an arrival-rate run) adds the service-time columns.
   */
  function renderStatsTable(stats, arrival = false) {
    renderIfChanged(renderStatsHead, arrival);
    const columns = statsColumns(arrival);
    const rows = stats.map((entry, index) => {
      const aggregated = index === stats.length - 1;
      const cells = columns.map((column) => td(column.value(entry), column.className || ""));
      const row = el("tr", { className: aggregated ? "aggregated" : "endpoint" }, cells);
      if (!aggregated) {
        row.dataset.testid = "stats-row";
        row.dataset.name = entry.name;
        row.dataset.method = entry.method || "";
        row.title = "Show this endpoint's charts";
        row.tabIndex = 0;
      }
      return row;
    });
    replaceRows("stats-table", rows, "No requests yet");
  }

  /** Clicking (or Enter on) an endpoint row shows its own charts. */
  function onStatsRowActivated(event) {
    if (event.type === "keydown" && event.key !== "Enter") return;
    const row = event.target.closest("tr.endpoint");
    if (!row) return;
    charts.setScope({ name: row.dataset.name, method: row.dataset.method });
    tabs.select("tab-charts");
  }

  // ---- Failures, exceptions, workers, logs ------------------------------------------------

  function renderFailures(errors) {
    const rows = errors.map((e) => {
      const cells = [td(e.method || ""), td(e.name, "name"), td(e.error, "name")];
      return el("tr", {}, [...cells, td(e.occurrences)]);
    });
    replaceRows("failures-table", rows, "No failures");
    $("failures-count").textContent = errors.length ? String(errors.length) : "";
  }

  /** Call render(data) only when data differs from the last time: keeps scroll and focus. */
  function renderIfChanged(render, data) {
    const text = JSON.stringify(data);
    if (lastRendered.get(render) === text) return;
    lastRendered.set(render, text);
    render(data);
  }

  /** The rows, with the tracebacks the user had opened still open (by message and text). */
  function renderExceptions(exceptions = []) {
    const table = $("exceptions-table");
    const open = new Set([...table.querySelectorAll("details[open]")].map((d) => d.dataset.key));
    const rows = exceptions.map((x) => {
      const traceback = el("details", { attrs: { "data-key": `${x.msg}\n${x.traceback}` } }, [
        el("summary", { text: "Show traceback" }),
        el("pre", { text: x.traceback || "" }),
      ]);
      traceback.open = open.has(traceback.dataset.key);
      const nodes = Array.isArray(x.nodes) ? x.nodes.join(", ") : (x.nodes ?? "");
      const tracebackCell = el("td", { className: "name" }, [traceback]);
      return el("tr", {}, [td(x.count), td(x.msg, "name"), tracebackCell, td(nodes)]);
    });
    replaceRows("exceptions-table", rows, "No exceptions");
  }

  /** Seconds since the worker's last heartbeat: the server's count when it sends one. */
  function heartbeatAge(worker) {
    const age = worker.heartbeat_age;
    if (typeof age === "number") return `${formatDuration(age)} ago`;
    // Otherwise from its wall-clock time, which assumes this browser's clock is the server's.
    if (typeof worker.last_heartbeat !== "number" || worker.last_heartbeat <= 0) return "—";
    return `${formatDuration(Date.now() / 1000 - worker.last_heartbeat)} ago`;
  }

  function renderWorkers(report) {
    const workers = report.workers || [];
    const rows = workers.map((w) =>
      el("tr", { attrs: { "data-worker-id": w.id } }, [
        td(w.id, "name"),
        td(w.state),
        td(w.user_count),
        td(formatNumber(w.cpu_usage, 1)),
        td(formatNumber((w.memory_usage || 0) / (1024 * 1024), 1)), // bytes, shown in MiB
        td(heartbeatAge(w)),
      ]));
    replaceRows("workers-table", rows, "No workers connected");
    $("worker-count").textContent = String(report.worker_count ?? workers.length);
  }

  function renderLogs(logs) {
    const section = (title, lines) => el("section", { className: "log" }, [
      el("h3", { text: title }),
      el("pre", { text: (lines || []).join("\n") }),
    ]);
    const sections = [section("This process", logs.master)];
    for (const [id, lines] of Object.entries(logs.workers || {})) {
      sections.push(section(`Worker ${id}`, lines));
    }
    $("logs").replaceChildren(...sections);
  }

  // ---- Charts -------------------------------------------------------------------------------

  // One entry per chart: its element and the history keys it draws.
  const CHART_SPECS = [
    {
      id: "chart-rps",
      series: [
        ["Requests/s", "current_rps", "#2e7d32"],
        ["Failures/s", "current_fail_per_sec", "#c62828"],
      ],
    },
    {
      id: "chart-rt",
      series: [
        ["p50 (ms)", "response_time_percentile_0.5", "#1565c0"],
        ["p95 (ms)", "response_time_percentile_0.95", "#ef6c00"],
      ],
    },
    { id: "chart-users", series: [["Users", "user_count", "#6a1b9a"]] },
  ];
  const CHART_HEIGHT = 220;

  const charts = {
    points: [], // history points: {timestamp, user_count, current_rps, ...}
    scope: null, // null for all requests, or {name, method}
    plots: {},

    /** Replace the points with the whole history of the current scope from the server. */
    async reload() {
      const scope = this.scope;
      const body = await getJson(historyUrl(scope));
      if (scope !== this.scope) return; // the user switched scope while this was loading
      this.points = [];
      for (const point of body.points || []) this.append(point);
      this.draw();
    },

    /** Add one point; x must grow (uPlot needs sorted x). Halve the resolution when full. */
    append(point) {
      const last = this.points[this.points.length - 1];
      if (last && point.timestamp <= last.timestamp) return;
      this.points.push(point);
      if (this.points.length > MAX_CHART_POINTS) {
        this.points = this.points.filter((_point, i) => i % 2 === 1);
      }
    },

    /** The live point of the totals from one poll of stats/requests. */
    pointFromReport(report) {
      const current = report.current_response_time_percentiles || {};
      return {
        timestamp: report.timestamp ?? Date.now() / 1000,
        user_count: report.user_count,
        // swarm's current_* are the last seconds' rates; Locust's total_* are the fallback.
        current_rps: report.current_rps ?? report.total_rps,
        current_fail_per_sec: report.current_fail_per_sec ?? report.total_fail_per_sec,
        "response_time_percentile_0.5": current["response_time_percentile_0.5"] ?? null,
        "response_time_percentile_0.95": current["response_time_percentile_0.95"] ?? null,
      };
    },

    setScope(scope) {
      this.scope = scope;
      const label = scope ? `${scope.method} ${scope.name}`.trim() : "All requests";
      $("chart-scope").textContent = label;
      $("chart-totals-button").hidden = !scope;
      this.points = [];
      this.draw();
      this.reload().catch(showConnectionError);
    },

    data(spec) {
      const xs = this.points.map((p) => p.timestamp);
      return [xs, ...spec.series.map(([, key]) => this.points.map((p) => p[key] ?? null))];
    },

    /** The charts' width: their container's, which is 0 while the Charts tab is hidden. */
    width() {
      return $(CHART_SPECS[0].id).clientWidth;
    },

    /** Draw into visible charts only: uPlot needs a width, and a hidden panel has none. */
    draw() {
      const width = this.width();
      for (const spec of CHART_SPECS) {
        $(spec.id).dataset.points = String(this.points.length);
        if (width === 0) continue;
        const plot = this.plots[spec.id];
        if (plot) plot.setData(this.data(spec));
        else this.plots[spec.id] = this.create(spec, width);
      }
    },

    create(spec, width) {
      const options = {
        width,
        height: CHART_HEIGHT,
        series: [{}, ...spec.series.map(([label, , stroke]) => ({ label, stroke, width: 2 }))],
        scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      };
      return new uPlot(options, this.data(spec), $(spec.id));
    },

    resize() {
      const width = this.width();
      if (width === 0) return;
      for (const plot of Object.values(this.plots)) plot.setSize({ width, height: CHART_HEIGHT });
      this.draw();
    },
  };

  // ---- Tabs ---------------------------------------------------------------------------------

  const tabs = {
    current: "tab-stats",
    // Loaded when their tab is open: other tabs come with every poll of stats/requests.
    loaders: {
      "tab-exceptions": () =>
        getJson("exceptions").then((body) => renderIfChanged(renderExceptions, body.exceptions)),
      "tab-logs": () => getJson("logs").then((body) => renderIfChanged(renderLogs, body)),
    },

    select(tabId) {
      this.current = tabId;
      for (const tab of document.querySelectorAll('[role="tab"]')) {
        const selected = tab.id === tabId;
        tab.setAttribute("aria-selected", String(selected));
        $(tab.dataset.panel).hidden = !selected;
      }
      if (tabId === "tab-charts") charts.resize();
      this.refresh();
    },

    /** Reload the open tab's own data, if it has any. */
    refresh() {
      const loader = this.loaders[this.current];
      return loader ? loader().catch(showConnectionError) : Promise.resolve();
    },
  };

  // ---- Forms --------------------------------------------------------------------------------

  /**
   * Put each field's message beside it (elements with data-error-for); the reply's general
   * message goes under the form only when it is not just those field messages again.
   */
  function showFormErrors(form, messageId, body) {
    const errors = body.errors || {};
    const slots = [...form.querySelectorAll("[data-error-for]")];
    for (const slot of slots) {
      const message = errors[slot.dataset.errorFor] || "";
      slot.textContent = message;
      // A field name can match a group of checkboxes (a RadioNodeList): mark single inputs only.
      const input = form.elements[slot.dataset.errorFor];
      if (input instanceof HTMLInputElement) {
        input.setAttribute("aria-invalid", String(Boolean(message)));
      }
    }
    const placed = new Set(slots.map((slot) => slot.dataset.errorFor));
    const unplaced = Object.keys(errors).filter((field) => !placed.has(field));
    const onlyFields = Object.keys(errors).length > 0 && unplaced.length === 0;
    const general = body.success === false && !onlyFields;
    $(messageId).textContent = general ? body.message || "" : "";
  }

  /** The form's fields without the empty optional ones, so the server keeps its defaults. */
  function formFields(form, optional) {
    const data = new FormData(form);
    for (const name of optional) if (data.get(name) === "") data.delete(name);
    return data;
  }

  async function onStartSubmit(event) {
    event.preventDefault();
    const form = event.target;
    $("start-button").disabled = true;
    try {
      const result = await postForm("swarm", formFields(form, ["host", "run_time"]));
      showFormErrors(form, "start-message", result.body);
      if (!result.ok) return;
      view.startShown = false;
      view.state = "spawning";
      showPanels();
      charts.setScope(null);
      await poll();
    } catch (error) {
      $("start-message").textContent = `Could not reach swarm: ${error.message}`;
    } finally {
      $("start-button").disabled = false;
    }
  }

  function openEditDialog() {
    const report = view.lastReport || {};
    $("edit_user_count").value = report.target_user_count ?? report.user_count ?? "";
    $("edit_spawn_rate").value = report.spawn_rate ?? $("spawn_rate").value;
    showFormErrors($("edit-form"), "edit-message", {});
    $("edit-dialog").showModal();
  }

  async function onEditSubmit(event) {
    event.preventDefault();
    const form = event.target;
    try {
      const result = await postForm("swarm", new FormData(form));
      showFormErrors(form, "edit-message", result.body);
      if (!result.ok) return;
      $("edit-dialog").close();
      await poll();
    } catch (error) {
      $("edit-message").textContent = `Could not reach swarm: ${error.message}`;
    }
  }

  // ---- Buttons ------------------------------------------------------------------------------

  /** POST to an action route, then show its effect at once instead of at the next poll. */
  async function postAction(url, button) {
    button.disabled = true;
    try {
      await postForm(url, new FormData());
      await poll();
    } catch (error) {
      showConnectionError(error);
    } finally {
      button.disabled = false;
    }
  }

  async function onReset(event) {
    await postAction("stats/reset", event.currentTarget);
    charts.setScope(charts.scope);
  }

  function onNewTest() {
    view.startShown = true;
    showPanels();
    $(view.shape ? "host" : "user_count").focus();
  }

  // ---- Polling ------------------------------------------------------------------------------

  function showConnectionError(error) {
    $("connection-error").hidden = false;
    console.warn("swarm:", error);
  }

  /** Fetch stats/requests once and render everything that comes with it. */
  async function poll() {
    const report = await getJson("stats/requests");
    $("connection-error").hidden = true;
    view.lastReport = report;
    view.state = report.state;
    if (report.shape !== undefined) view.shape = report.shape;
    // A test started elsewhere (another browser, --autostart) takes the page to the dashboard.
    if (!IDLE_STATES.has(report.state)) view.startShown = false;
    showPanels();
    renderHeader(report);
    renderArrival(report);
    renderStatsTable(report.stats || [], Boolean(report.arrival));
    renderFailures(report.errors || []);
    if (typeof report.is_distributed === "boolean") {
      document.body.dataset.distributed = String(report.is_distributed);
      $("tab-workers").hidden = !report.is_distributed;
    }
    if (document.body.dataset.distributed === "true") renderWorkers(report);
    if (IDLE_STATES.has(report.state)) return;
    if (charts.scope) await charts.reload();
    else {
      charts.append(charts.pointFromReport(report));
      charts.draw();
    }
  }

  /** Poll forever, one request at a time, POLL_INTERVAL_MS after the previous one ended. */
  async function pollLoop() {
    try {
      await poll();
      await tabs.refresh();
    } catch (error) {
      showConnectionError(error);
    }
    window.setTimeout(pollLoop, POLL_INTERVAL_MS);
  }

  // ---- Wiring -------------------------------------------------------------------------------

  function wire() {
    $("start-form").addEventListener("submit", onStartSubmit);
    $("edit-form").addEventListener("submit", onEditSubmit);
    $("edit-button").addEventListener("click", openEditDialog);
    $("edit-cancel-button").addEventListener("click", () => $("edit-dialog").close());
    $("stop-button").addEventListener("click", (event) => postAction("stop", event.currentTarget));
    $("reset-button").addEventListener("click", onReset);
    $("new-test-button").addEventListener("click", onNewTest);
    $("chart-totals-button").addEventListener("click", () => charts.setScope(null));
    for (const tab of document.querySelectorAll('[role="tab"]')) {
      tab.addEventListener("click", () => tabs.select(tab.id));
    }
    const body = $("stats-table").tBodies[0];
    body.addEventListener("click", onStatsRowActivated);
    body.addEventListener("keydown", onStatsRowActivated);
    new ResizeObserver(() => charts.resize()).observe($("dashboard"));
  }

  wire();
  renderStatsTable([]);
  showPanels();
  charts.reload().catch(showConnectionError);
  pollLoop();
})();
