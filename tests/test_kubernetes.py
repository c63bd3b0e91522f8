"""The Kubernetes manifests (deploy/kubernetes): every mode renders, passes Kubernetes' own
schemas, and runs swarm as docs/kubernetes.md promises.

Every directory is rendered with ``kubectl kustomize`` (these tests skip without kubectl) and
every object is checked by kubernetes-validate in strict mode (an unknown field is an error)
against the newest schemas it bundles, Kubernetes 1.37, and the oldest version the manifests
claim, 1.27 (CronJob's ``timeZone`` and the Job's ``batch.kubernetes.io/job-name`` label).
The other tests read the rendered objects as a cluster would: each swarm container's command
line goes through swarm's own option parsing, with the environment its pod would give it and
the userfile ConfigMap's files in its working directory.
"""

from __future__ import annotations

import base64
import copy
import functools
import os
import re
import shutil
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from swarm.argument_parser import build_parser
from swarm.config import Options, env_names, parse_options
from swarm.demo import DemoTarget
from swarm.demo.__main__ import parse_args as parse_demo_shop_args
from swarm.userfile import find_userfiles, load_userfiles

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy" / "kubernetes"
MODES = ("web", "headless", "cronjob")
EXAMPLES = ("examples/nightly-staging", "examples/web-autoscaled")
EVERY_DIRECTORY = (*(f"overlays/{mode}" for mode in MODES), "demo-shop", *EXAMPLES)
#: The directories whose pods run swarm (the demo shop's runs the shop alone).
SWARM_DIRECTORIES = tuple(d for d in EVERY_DIRECTORY if d != "demo-shop")
KUBERNETES_VERSIONS = ("1.27.0", "1.37.0")
IMAGE = "registry.example.com/swarm:latest"
USER_ID = 10001
WORKING_DIR = "/home/swarm"
#: A nightly Job's name, as the Job controller labels its pod (read through the downward API).
JOB_NAME = "swarm-nightly-29000000"
DOWNWARD_FIELDS = {"metadata.labels['batch.kubernetes.io/job-name']": JOB_NAME}
#: Where each kind keeps its pod template.
POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
#: Objects each mode must make, by kind and name (generated names without kustomize's hash).
SHARED = {("ConfigMap", "swarm-userfile"), ("Secret", "swarm-master-secret")}
PROMISED = {
    "web": SHARED
    | {
        ("Service", "swarm-master"),
        ("Deployment", "swarm-master"),
        ("Deployment", "swarm-worker"),
    },
    "headless": SHARED
    | {
        ("Service", "swarm-headless-master"),
        ("Job", "swarm-headless-master"),
        ("Job", "swarm-headless-worker"),
    },
    "cronjob": SHARED | {("CronJob", "swarm-nightly"), ("PersistentVolumeClaim", "swarm-reports")},
}
#: A safety net against a hung subprocess, never a way to wait for something.
RUN_LIMIT_S = 90

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed: the manifests render with kubectl kustomize"
)

Manifest = dict[str, Any]


# -- reading rendered manifests (pure) --------------------------------------------------------


@functools.cache
def render(directory: str) -> tuple[Manifest, ...]:
    """The objects ``kubectl kustomize deploy/kubernetes/DIRECTORY`` prints."""
    result = subprocess.run(
        [str(KUBECTL), "kustomize", str(DEPLOY / directory)],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def name_of(obj: Manifest) -> str:
    """The object's name, without the hash kustomize appends to generated ones."""
    name = str(obj["metadata"]["name"])
    return name.rsplit("-", 1)[0] if obj["kind"] in ("ConfigMap", "Secret") else name


def find(objects: tuple[Manifest, ...], kind: str, name: str) -> Manifest:
    """The one object of ``kind`` named ``name`` (as rendered, or without kustomize's hash)."""
    found = [
        o for o in objects if o["kind"] == kind and name in (o["metadata"]["name"], name_of(o))
    ]
    assert len(found) == 1, f"{len(found)} {kind} named {name}"
    return found[0]


def pod_template(obj: Manifest) -> Manifest | None:
    """A workload's pod template; None for objects that run no pods."""
    path = POD_TEMPLATE_PATHS.get(obj["kind"])
    if path is None:
        return None
    template: Manifest = obj
    for key in path:
        template = template[key]
    return template


def pod_templates(objects: tuple[Manifest, ...]) -> list[tuple[Manifest, Manifest]]:
    """Every workload with its pod template."""
    pairs = [(o, pod_template(o)) for o in objects]
    return [(o, t) for o, t in pairs if t is not None]


def containers(template: Manifest) -> list[Manifest]:
    """Every container of a pod template, init containers first."""
    spec = template["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def runs_swarm(container: Manifest) -> bool:
    """True for a container that runs the image's entrypoint, ``swarm``, with its args."""
    return "command" not in container


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def port_numbers(container: Manifest) -> dict[str, int]:
    """The container's ports, by name."""
    return {p["name"]: p["containerPort"] for p in container.get("ports", [])}


def container_env(container: Manifest, objects: tuple[Manifest, ...]) -> dict[str, str]:
    """The variables the kubelet gives the container, Secrets read from the rendered ones."""
    env = {}
    for item in container.get("env", []):
        env[item["name"]] = item["value"] if "value" in item else value_from(item, objects)
    return env


def value_from(item: Manifest, objects: tuple[Manifest, ...]) -> str:
    source = item["valueFrom"]
    if "secretKeyRef" in source:
        ref = source["secretKeyRef"]
        secret = find(objects, "Secret", ref["name"])
        return base64.b64decode(secret["data"][ref["key"]]).decode()
    if "fieldRef" in source:
        return DOWNWARD_FIELDS[source["fieldRef"]["fieldPath"]]
    raise AssertionError(f"{item['name']}: no test knows where {source} comes from")


def expand(text: str, env: dict[str, str]) -> str:
    """The kubelet's expansion of ``$(NAME)`` in args (an unknown name stays as written)."""
    return re.sub(r"\$\((\w+)\)", lambda m: env.get(m[1], m[0]), text)


def mounted_configmap(
    template: Manifest, container: Manifest, objects: tuple[Manifest, ...]
) -> Manifest:
    """The ConfigMap mounted at the container's working directory."""
    mounts = [m for m in container["volumeMounts"] if m["mountPath"] == container["workingDir"]]
    assert len(mounts) == 1, f"{container['name']}: nothing mounted at its working directory"
    volume = next(v for v in template["spec"]["volumes"] if v["name"] == mounts[0]["name"])
    return find(objects, "ConfigMap", volume["configMap"]["name"])


def writable_mounts(container: Manifest) -> list[str]:
    return [m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly", False)]


def is_under(path: str, directory: str) -> bool:
    return path.startswith(directory.rstrip("/") + "/")


# -- swarm's view of each container -----------------------------------------------------------


@dataclass(frozen=True)
class SwarmContainer:
    """A container that runs swarm, with the options swarm parses from what its pod gives it."""

    workload: Manifest
    template: Manifest
    container: Manifest
    env: dict[str, str]
    args: list[str]
    options: Options
    #: the userfile ConfigMap's files, as the pod has them in its working directory
    workdir: Path

    @property
    def ports(self) -> dict[str, int]:
        return port_numbers(self.container)


def swarm_containers(directory: str, scratch: Path) -> list[SwarmContainer]:
    """Every swarm container of the rendered directory, its options parsed by swarm."""
    objects = render(directory)
    found = []
    for workload, template in pod_templates(objects):
        for container in filter(runs_swarm, containers(template)):
            workdir = scratch / f"{workload['metadata']['name']}-{container['name']}"
            workdir.mkdir()
            for key, text in mounted_configmap(template, container, objects)["data"].items():
                (workdir / key).write_text(text)
            env = container_env(container, objects)
            args = [expand(arg, env) for arg in container["args"]]
            options = parse_options(args, environ=env, cwd=workdir, home=workdir)
            found.append(SwarmContainer(workload, template, container, env, args, options, workdir))
    return found


@pytest.fixture(scope="module")
def swarm_of(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], list[SwarmContainer]]:
    """``swarm_of(directory)``: its swarm containers, parsed once per module."""
    parsed: dict[str, list[SwarmContainer]] = {}

    def get(directory: str) -> list[SwarmContainer]:
        if directory not in parsed:
            parsed[directory] = swarm_containers(directory, tmp_path_factory.mktemp("pods"))
        return parsed[directory]

    return get


def only(nodes: list[SwarmContainer], role: Callable[[Options], bool]) -> SwarmContainer:
    matching = [node for node in nodes if role(node.options)]
    assert len(matching) == 1, f"{len(matching)} containers in that role"
    return matching[0]


def is_master(options: Options) -> bool:
    return bool(options.master)


def is_worker(options: Options) -> bool:
    return bool(options.worker)


# -- every object is valid Kubernetes ---------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_passes_the_kubernetes_schemas_strictly(version: str) -> None:
    checked, refused = set(), []
    for directory in EVERY_DIRECTORY:
        for obj in render(directory):
            text = yaml.safe_dump(obj)  # the modes share objects: each is checked once
            if text in checked:
                continue
            checked.add(text)
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                where = ".".join(map(str, error.path))
                refused.append(
                    f"{directory}: {obj['kind']} {name_of(obj)}: {where}: {error.message}"
                )
    assert checked
    assert not refused, "\n".join(refused)


def test_strict_validation_refuses_a_misspelt_field() -> None:
    master = copy.deepcopy(find(render("overlays/web"), "Deployment", "swarm-master"))
    master["spec"]["template"]["spec"]["enableServiceLink"] = False
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(master, KUBERNETES_VERSIONS[-1], strict=True)


@pytest.mark.parametrize("mode", MODES)
def test_each_mode_makes_the_objects_it_promises(mode: str) -> None:
    made = {(o["kind"], name_of(o)) for o in render(f"overlays/{mode}")}
    assert made == PROMISED[mode]


def test_make_k8s_render_prints_every_mode_as_one_stream() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "k8s-render"],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # each part starts with a comment naming it; its documents follow until the next one
    parts = re.split(r"^# (mode \w+|demo-shop)\b.*\n", result.stdout, flags=re.MULTILINE)
    names = parts[1::2]
    assert names == ["mode web", "mode headless", "mode cronjob", "demo-shop"]
    directories = [*(f"overlays/{mode}" for mode in MODES), "demo-shop"]
    for directory, text in zip(directories, parts[2::2], strict=True):
        assert tuple(doc for doc in yaml.safe_load_all(text) if doc) == render(directory)


# -- swarm accepts every command line ---------------------------------------------------------


@pytest.mark.parametrize("directory", SWARM_DIRECTORIES)
def test_every_swarm_command_line_parses_with_swarms_own_parser(
    directory: str, swarm_of: Callable[[str], list[SwarmContainer]]
) -> None:
    # swarm_of parses each container's args and environment: a misspelt flag or a bad value
    # raises ConfigError there; a misspelt SWARM_* variable would be ignored, so it is named.
    nodes = swarm_of(directory)
    assert nodes
    known = {name for action in build_parser()._actions for name in env_names(action)}
    for node in nodes:
        unknown = {name for name in node.env if name.startswith("SWARM_")} - known
        assert not unknown, f"{node.container['name']}: no option is set by {unknown}"


def test_the_demo_shop_command_line_parses_and_serves_its_service() -> None:
    objects = render("demo-shop")
    shop = find(objects, "Deployment", "demo-shop")
    (container,) = containers(shop["spec"]["template"])
    args = parse_demo_shop_args(container["args"])
    assert container["command"] == ["python", "-m", "swarm.demo"]
    assert args.host == "0.0.0.0"
    assert port_numbers(container) == {"http": args.port}


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_loads_the_demo_shop_until_told_otherwise(
    mode: str, swarm_of: Callable[[str], list[SwarmContainer]]
) -> None:
    service = find(render("demo-shop"), "Service", "demo-shop")
    url = f"http://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}"
    hosts = {node.options.host for node in swarm_of(f"overlays/{mode}") if not node.options.worker}
    assert hosts == {url}


# -- masters, workers and Services agree ------------------------------------------------------


@pytest.mark.parametrize("mode", ["web", "headless"])
def test_workers_reach_the_master_through_its_service(
    mode: str, swarm_of: Callable[[str], list[SwarmContainer]]
) -> None:
    nodes = swarm_of(f"overlays/{mode}")
    master = only(nodes, is_master)
    worker = only(nodes, is_worker)
    services = [
        o
        for o in render(f"overlays/{mode}")
        if o["kind"] == "Service"
        and selects(o["spec"]["selector"], master.template["metadata"]["labels"])
    ]
    assert len(services) == 1
    service = services[0]
    assert worker.options.master_host == service["metadata"]["name"]
    port = next(p for p in service["spec"]["ports"] if p["targetPort"] == "master")
    assert worker.options.master_port == port["port"]
    assert master.ports["master"] == master.options.master_bind_port
    assert master.options.master_bind_host in ("*", "0.0.0.0")


@pytest.mark.parametrize("directory", EVERY_DIRECTORY)
def test_every_service_selects_one_workload_and_its_ports(directory: str) -> None:
    objects = render(directory)
    templates = [t for _, t in pod_templates(objects)]
    for service in (o for o in objects if o["kind"] == "Service"):
        chosen = [
            t for t in templates if selects(service["spec"]["selector"], t["metadata"]["labels"])
        ]
        assert len(chosen) == 1, f"{service['metadata']['name']} selects {len(chosen)} pods"
        declared = {}
        for container in containers(chosen[0]):
            declared.update(port_numbers(container))
        for port in service["spec"]["ports"]:
            target = port["targetPort"]
            name = service["metadata"]["name"]
            assert target in declared or target in declared.values(), f"{name}: no {target}"


@pytest.mark.parametrize("directory", EVERY_DIRECTORY)
def test_workload_selectors_match_their_own_pods_and_no_other(directory: str) -> None:
    pairs = pod_templates(render(directory))
    for workload, template in pairs:
        selector = workload["spec"].get("selector", {}).get("matchLabels")
        if selector is None:  # Jobs and CronJobs: Kubernetes makes the selector itself
            continue
        assert selects(selector, template["metadata"]["labels"])
        others = [t for w, t in pairs if w is not workload]
        assert not any(selects(selector, t["metadata"]["labels"]) for t in others)


@pytest.mark.parametrize("directory", EVERY_DIRECTORY)
def test_every_container_runs_the_one_swarm_image(directory: str) -> None:
    images = {c["image"] for _, t in pod_templates(render(directory)) for c in containers(t)}
    assert len(images) == 1
    if not directory.startswith("examples/"):
        assert images == {IMAGE}


# -- ports, probes and metrics ----------------------------------------------------------------


def listening(options: Options) -> dict[str, tuple[str, int]]:
    """Where swarm listens, by the port names the manifests use: (interface, port)."""
    places = {"metrics": (options.metrics_host, options.metrics_port)}
    if options.master:
        places["master"] = (options.master_bind_host, options.master_bind_port)
    if not options.headless and not options.worker:
        places["web-ui"] = (options.web_host, options.web_port)
    return places


@pytest.mark.parametrize("directory", SWARM_DIRECTORIES)
def test_declared_ports_are_where_swarm_listens_on_every_interface(
    directory: str, swarm_of: Callable[[str], list[SwarmContainer]]
) -> None:
    for node in swarm_of(directory):
        places = listening(node.options)
        for name, number in node.ports.items():
            assert name in places, f"{node.container['name']}: swarm serves no {name} port"
            host, port = places[name]
            assert port == number, (name, port, number)
            assert host in ("*", "0.0.0.0"), f"{name} listens on {host}: unreachable from outside"


def test_the_web_masters_probes_ask_the_web_ui(
    swarm_of: Callable[[str], list[SwarmContainer]],
) -> None:
    master = only(swarm_of("overlays/web"), is_master)
    root = (master.options.web_base_path or "").rstrip("/") + "/"
    for probe in ("readinessProbe", "livenessProbe"):
        request = master.container[probe]["httpGet"]
        assert master.ports[request["port"]] == master.options.web_port
        assert request["path"] == root


@pytest.mark.parametrize("directory", SWARM_DIRECTORIES)
def test_prometheus_scrapes_the_masters_metrics_and_never_a_worker(
    directory: str, swarm_of: Callable[[str], list[SwarmContainer]]
) -> None:
    for node in swarm_of(directory):
        options = node.options
        annotations = node.template["metadata"].get("annotations", {})
        if options.worker:
            assert "prometheus.io/scrape" not in annotations
            continue
        if options.headless:
            port, path = options.metrics_port, "/metrics"
        else:
            port, path = options.web_port, (options.web_base_path or "").rstrip("/") + "/metrics"
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(port)
        assert port in node.ports.values()
        assert annotations["prometheus.io/path"] == path


# -- pods: secret, security, files --------------------------------------------------------------


@pytest.mark.parametrize("directory", SWARM_DIRECTORIES)
def test_every_swarm_container_reads_the_master_secret_from_the_secret(
    directory: str, swarm_of: Callable[[str], list[SwarmContainer]]
) -> None:
    secrets = {o["metadata"]["name"] for o in render(directory) if o["kind"] == "Secret"}
    for node in swarm_of(directory):
        (entry,) = [e for e in node.container["env"] if e["name"] == "SWARM_MASTER_SECRET"]
        assert entry["valueFrom"]["secretKeyRef"]["name"] in secrets
        assert node.options.master_secret  # parsed from the rendered Secret's value


@pytest.mark.parametrize("directory", EVERY_DIRECTORY)
def test_every_pod_runs_as_the_images_user_under_the_restricted_policy(directory: str) -> None:
    for _, template in pod_templates(render(directory)):
        spec = template["spec"]
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True
        assert pod["runAsUser"] == USER_ID
        assert pod["seccompProfile"]["type"] == "RuntimeDefault"
        for container in containers(template):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["readOnlyRootFilesystem"] is True
            assert context["capabilities"]["drop"] == ["ALL"]
            assert container["resources"]["requests"]["cpu"]
            assert container["resources"]["limits"]["memory"]


@pytest.mark.parametrize("directory", EVERY_DIRECTORY)
def test_no_pod_gets_service_link_variables(directory: str) -> None:
    # A Service named swarm-master gives every pod of its namespace SWARM_MASTER_PORT=tcp://...,
    # which swarm would read as --master-port and refuse; no token either: swarm needs no API.
    for _, template in pod_templates(render(directory)):
        assert template["spec"]["enableServiceLinks"] is False
        assert template["spec"]["automountServiceAccountToken"] is False


@pytest.mark.parametrize("directory", SWARM_DIRECTORIES)
def test_swarm_writes_only_into_writable_volumes(
    directory: str, swarm_of: Callable[[str], list[SwarmContainer]]
) -> None:
    for node in swarm_of(directory):
        options = node.options
        writable = writable_mounts(node.container)
        assert "/tmp" in writable
        written = [
            f"{options.json_file}.json" if options.json_file else None,
            options.junit,
            options.html_file,
            f"{options.csv_prefix}_stats.csv" if options.csv_prefix else None,
            options.logfile,
        ]
        for path in filter(None, written):
            assert any(is_under(path, mount) for mount in writable), f"{path}: read-only"


@pytest.mark.parametrize("directory", SWARM_DIRECTORIES)
def test_the_userfile_and_its_files_are_mounted_at_the_working_directory(
    directory: str, swarm_of: Callable[[str], list[SwarmContainer]]
) -> None:
    for node in swarm_of(directory):
        assert node.container["workingDir"] == WORKING_DIR
        mount = next(m for m in node.container["volumeMounts"] if m["mountPath"] == WORKING_DIR)
        assert mount["readOnly"] is True
        # the files the ConfigMap holds are what the pod sees: swarm must find and load them
        userfiles = load_userfiles(find_userfiles(node.options.locustfile, node.workdir))
        assert userfiles.user_classes


# -- scaling, the headless and nightly runs --------------------------------------------------


def test_the_autoscaler_owns_the_number_of_web_workers(
    swarm_of: Callable[[str], list[SwarmContainer]],
) -> None:
    objects = render("examples/web-autoscaled")
    autoscaler = find(objects, "HorizontalPodAutoscaler", "swarm-worker")
    target = autoscaler["spec"]["scaleTargetRef"]
    workers = find(objects, target["kind"], target["name"])
    assert workers is only(swarm_of("examples/web-autoscaled"), is_worker).workload
    # utilisation is a share of the request, and a replicas field would undo its choice
    (container,) = containers(workers["spec"]["template"])
    assert container["resources"]["requests"]["cpu"]
    assert "replicas" not in workers["spec"]


def test_the_headless_workers_are_as_many_as_the_master_waits_for(
    swarm_of: Callable[[str], list[SwarmContainer]],
) -> None:
    nodes = swarm_of("overlays/headless")
    master = only(nodes, is_master)
    worker = only(nodes, is_worker)
    assert master.options.headless
    assert master.workload["spec"]["backoffLimit"] == 0
    assert master.template["spec"]["restartPolicy"] == "Never"
    jobs = worker.workload["spec"]
    assert jobs["parallelism"] == jobs["completions"] == master.options.expect_workers
    assert worker.template["spec"]["restartPolicy"] == "OnFailure"


def test_the_nightly_pod_runs_master_and_workers_and_fails_its_job_on_a_threshold(
    swarm_of: Callable[[str], list[SwarmContainer]],
) -> None:
    (node,) = swarm_of("overlays/cronjob")
    cronjob = node.workload["spec"]
    options = node.options
    assert cronjob["concurrencyPolicy"] == "Forbid"
    assert cronjob["jobTemplate"]["spec"]["backoffLimit"] == 0
    assert cronjob["jobTemplate"]["spec"]["activeDeadlineSeconds"] > options.run_time
    assert node.template["spec"]["restartPolicy"] == "Never"
    # one process: the master, with its workers forked under it; nobody else may join
    assert len(containers(node.template)) == 1
    assert options.headless and not options.worker and options.processes >= 1
    assert options.master_bind_host == "127.0.0.1"
    assert options.threshold


def test_the_nightly_reports_go_to_the_reports_claim_one_directory_per_run(
    swarm_of: Callable[[str], list[SwarmContainer]],
) -> None:
    (node,) = swarm_of("overlays/cronjob")
    options = node.options
    volume = next(v for v in node.template["spec"]["volumes"] if v["name"] == "reports")
    claim = volume["persistentVolumeClaim"]["claimName"]
    find(render("overlays/cronjob"), "PersistentVolumeClaim", claim)
    mount = next(m for m in node.container["volumeMounts"] if m["name"] == "reports")
    run_dir = f"{mount['mountPath']}/{JOB_NAME}/"
    for path in (f"{options.json_file}.json", options.junit, options.html_file):
        assert path.startswith(run_dir), path


# -- the nightly command, run for real --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def replaced(args: list[str], flag: str, value: str) -> list[str]:
    """``args`` with ``FLAG=...`` given ``value`` instead; the flag must be there."""
    assert any(arg.startswith(f"{flag}=") for arg in args), flag
    return [f"{flag}={value}" if arg.startswith(f"{flag}=") else arg for arg in args]


@pytest.fixture
def shop() -> Iterator[DemoTarget]:
    with DemoTarget(latency_scale=0.05, error_rate=0.0, seed=3) as target:
        yield target


@pytest.mark.integration
def test_the_nightly_command_ends_by_itself_with_its_verdict_and_reports(
    swarm_of: Callable[[str], list[SwarmContainer]], shop: DemoTarget, tmp_path: Path
) -> None:
    # The CronJob's container, exactly as rendered, but for the target, a short run, free
    # ports on 127.0.0.1 and a directory standing in for the reports volume.
    (node,) = swarm_of("overlays/cronjob")
    reports = tmp_path / "reports"
    args = [arg.replace("/reports/", f"{reports}/") for arg in node.args]
    args = replaced(args, "--host", shop.url)
    args = replaced(args, "--run-time", "1s")
    args = replaced(args, "--metrics-port", str(free_port()))
    args = replaced(args, "--metrics-host", "127.0.0.1")
    args.append(f"--master-bind-port={free_port()}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWARM_", "LOCUST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "swarm", *args],
        cwd=node.workdir,
        env={**env, **node.env, "SWARM_STRICT_EVENTS": "1"},
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert shop.total_served > 0  # the forked workers ran the userfile from the ConfigMap
    run_dir = reports / JOB_NAME
    assert (run_dir / "report.json").is_file()
    assert (run_dir / "report.html").is_file()
    suite = ET.parse(run_dir / "junit.xml").getroot()
    assert suite.get("tests") == str(len(node.options.threshold))
    assert suite.get("failures") == "0"
