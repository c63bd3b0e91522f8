"""Options from defaults, config files, pyproject.toml, environment variables and the command
line: which source wins, how each spells values, and what errors say."""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from swarm.argument_parser import SwarmArgumentParser
from swarm.config import Options, parse_options, source_of, userfile_paths
from swarm.event import Events
from swarm.exceptions import ConfigError, UserfileError


@dataclass
class Setup:
    """A home directory, a working directory, an environment and a command line to parse."""

    home: Path
    cwd: Path
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    tables: dict[str, list[str]] = field(default_factory=dict)

    def conf(self, path: Path, *lines: str) -> Path:
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        return path

    def pyproject(self, table: str, *lines: str) -> None:
        self.tables.setdefault(table, []).extend(lines)

    def write_pyproject(self) -> None:
        if self.tables:
            text = "".join(
                f"[tool.{name}]\n" + "".join(f"{line}\n" for line in lines)
                for name, lines in self.tables.items()
            )
            (self.cwd / "pyproject.toml").write_text(text, encoding="utf-8")

    def parse(self, extend: Callable[[SwarmArgumentParser], object] | None = None) -> Options:
        self.write_pyproject()
        return parse_options(
            self.argv, environ=self.env, cwd=self.cwd, home=self.home, extend=extend
        )

    def userfiles(self) -> list[str]:
        self.write_pyproject()
        return userfile_paths(self.argv, self.env, self.cwd, self.home)


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    return Setup(home=tmp_path / "home", cwd=tmp_path / "work")


# Every source, lowest precedence first: how it sets --host, and how source_of names it.
def _home_locust(s: Setup, v: str) -> None:
    s.conf(s.home / ".locust.conf", f"host = {v}")


def _home_swarm(s: Setup, v: str) -> None:
    s.conf(s.home / ".swarm.conf", f"host = {v}")


def _cwd_locust(s: Setup, v: str) -> None:
    s.conf(s.cwd / "locust.conf", f"host = {v}")


def _cwd_swarm(s: Setup, v: str) -> None:
    s.conf(s.cwd / "swarm.conf", f"host = {v}")


def _config_option(s: Setup, v: str) -> None:
    s.conf(s.cwd / "ci.conf", f"host = {v}")
    s.argv += ["--config", "ci.conf"]


SOURCES: dict[str, tuple[Callable[[Setup, str], None], str]] = {
    "~/.locust.conf": (_home_locust, ".locust.conf:1: host"),
    "~/.swarm.conf": (_home_swarm, ".swarm.conf:1: host"),
    "./locust.conf": (_cwd_locust, "work/locust.conf:1: host"),
    "./swarm.conf": (_cwd_swarm, "work/swarm.conf:1: host"),
    "[tool.locust]": (lambda s, v: s.pyproject("locust", f'host = "{v}"'), "[tool.locust]: host"),
    "[tool.swarm]": (lambda s, v: s.pyproject("swarm", f'host = "{v}"'), "[tool.swarm]: host"),
    "--config": (_config_option, "ci.conf:1: host"),
    "LOCUST_HOST": (lambda s, v: s.env.update(LOCUST_HOST=v), "environment variable LOCUST_HOST"),
    "SWARM_HOST": (lambda s, v: s.env.update(SWARM_HOST=v), "environment variable SWARM_HOST"),
    "-H": (lambda s, v: s.argv.extend(["-H", v]), "command line"),
}


def _value(source: str) -> str:
    return "http://" + "".join(c for c in source if c.isalnum()).lower()


@pytest.mark.parametrize("source", SOURCES)
def test_each_source_alone_sets_the_option(setup: Setup, source: str) -> None:
    write, label = SOURCES[source]
    write(setup, _value(source))
    options = setup.parse()
    assert options.host == _value(source)
    assert source_of(options, "host").endswith(label)


@pytest.mark.parametrize(("lower", "higher"), list(itertools.combinations(SOURCES, 2)))
def test_the_higher_source_wins(setup: Setup, lower: str, higher: str) -> None:
    for source in (higher, lower):  # written in reverse, so file order cannot decide
        SOURCES[source][0](setup, _value(source))
    options = setup.parse()
    assert options.host == _value(higher)
    assert source_of(options, "host").endswith(SOURCES[higher][1])


def test_defaults_apply_when_no_source_sets_an_option(setup: Setup) -> None:
    options = setup.parse()
    assert (options.host, options.web_port, options.stop_timeout) == (None, 8089, 0)
    assert source_of(options, "web_port") == "default"


def test_sources_are_merged_option_by_option(setup: Setup) -> None:
    setup.conf(setup.cwd / "swarm.conf", "users = 5", "spawn-rate = 2")
    setup.env["SWARM_USERS"] = "9"
    options = setup.parse()
    assert (options.num_users, options.spawn_rate) == (9, 2.0)


# (config key, conf text, TOML literal, command line, destination, value)
TYPED = [
    ("users", "7", "7", ["-u", "7"], "num_users", 7),
    ("spawn-rate", "2.5", "2.5", ["-r", "2.5"], "spawn_rate", 2.5),
    ("headless", "true", "true", ["--headless"], "headless", True),
    ("tags", "a, b", '["a", "b"]', ["-T", "a", "b"], "tags", ["a", "b"]),
    ("run-time", "1m30s", '"1m30s"', ["-t", "1m30s"], "run_time", 90.0),
    ("stop_timeout", "10s", "10", ["-s", "10s"], "stop_timeout", 10.0),
    ("user-classes", "A B", '["A", "B"]', ["A", "B"], "user_classes", ["A", "B"]),
]


@pytest.mark.parametrize("source", ["conf", "pyproject", "env", "cli"])
@pytest.mark.parametrize("case", TYPED, ids=[case[0] for case in TYPED])
def test_typed_values_from_every_source(setup: Setup, source: str, case: tuple) -> None:
    key, text, toml, argv, dest, value = case
    if source == "conf":
        setup.conf(setup.cwd / "swarm.conf", f"{key} = {text}")
    elif source == "pyproject":
        setup.pyproject("swarm", f'"{key}" = {toml}')
    elif source == "env":
        setup.env["SWARM_" + key.upper().replace("-", "_")] = text
    else:
        setup.argv = argv
    result = getattr(setup.parse(), dest)
    assert result == value
    assert type(result) is type(value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        *[("true", True), ("yes", True), ("1", True), ("On", True), ("TRUE", True)],
        *[("false", False), ("no", False), ("0", False), ("off", False)],
    ],
)
def test_booleans_are_spelt_many_ways(setup: Setup, text: str, value: bool) -> None:
    setup.conf(setup.cwd / "swarm.conf", f"headless = {text}")
    assert setup.parse().headless is value
    setup.env["SWARM_RESET_STATS"] = text
    assert setup.parse().reset_stats is value


def test_false_in_a_higher_source_turns_a_flag_off(setup: Setup) -> None:
    setup.conf(setup.home / ".swarm.conf", "headless = true")
    setup.env["SWARM_HEADLESS"] = "false"
    assert setup.parse().headless is False


def test_headful_undoes_headless_from_a_config_file(setup: Setup) -> None:
    setup.conf(setup.cwd / "swarm.conf", "headless = true")
    setup.argv = ["--headful"]
    assert setup.parse().headless is False


def test_locusts_own_environment_variable_names_work(setup: Setup) -> None:
    setup.env.update(
        LOCUST_MODE_MASTER="true",
        LOCUST_MASTER_NODE_HOST="10.1.1.1",
        LOCUST_MASTER_NODE_PORT="6000",
        LOCUST_USERCLASS_PICKER="1",
        LOCUST_LOCUSTFILE="mine.py",
        LOCUST_USER_CLASSES="A B",
    )
    options = setup.parse()
    assert (options.master, options.master_host, options.master_port) == (True, "10.1.1.1", 6000)
    assert (options.class_picker, options.locustfile) == (True, "mine.py")
    assert options.user_classes == ["A", "B"]


def test_empty_and_unrelated_environment_variables_are_ignored(setup: Setup) -> None:
    setup.env.update(SWARM_USERS="", SWARM_STRICT_EVENTS="1", SWARM_NOT_AN_OPTION="x", PATH="/")
    assert setup.parse().num_users is None


def test_conf_format(setup: Setup) -> None:
    setup.conf(
        setup.cwd / "swarm.conf",
        "# a comment",
        "[swarm]",
        "run_time = 1m   # until lunch",
        'host: "http://example.com/a;b"',
        "; another comment",
        "headless",
        "tags = [a, b]",
        "",
        "Users=3",
    )
    options = setup.parse()
    assert options.run_time == 60.0
    assert options.host == "http://example.com/a;b"
    assert options.headless is True
    assert options.tags == ["a", "b"]
    assert options.num_users == 3


def test_options_keep_their_sources_out_of_the_values(setup: Setup) -> None:
    setup.argv = ["-u", "3"]
    options = setup.parse()
    assert "_sources" not in vars(options)
    assert options == argparse.Namespace(**vars(options))
    assert source_of(options, "num_users") == "command line"
    assert source_of(argparse.Namespace(), "num_users") == ""


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["host = h", "userss = 3"], ":2: unknown option 'userss'; did you mean 'users'?"),
        (["spawn_rat = 2"], ":1: unknown option 'spawn_rat'; did you mean 'spawn-rate'?"),
        (["zzzzzzzz = 2"], ":1: unknown option 'zzzzzzzz'; see swarm --help"),
        (["hatch-rate = 2"], ":1: option 'hatch-rate' was renamed 'spawn-rate'"),
        (["version = 1"], ":1: version: only the command line can give --version"),
        (["users 10"], ":1: cannot read 'users 10'; expected key = value"),
        (["host = h", "= 3"], ":2: cannot read '= 3'; expected key = value"),
        (["[swarm"], ":1: cannot read '[swarm'"),
        (["users = -3"], ":1: users: must be 0 or more, got -3"),
        (["users = many"], ":1: users: expected a whole number, got 'many'"),
        (["run-time = 5x"], ":1: run-time: invalid time span '5x'"),
        (["spawn-rate = 0"], ":1: spawn-rate: must be a number above 0, got '0'"),
        (["loglevel = loud"], ":1: loglevel: unknown log level 'loud'"),
        (["headless = maybe"], ":1: headless: expected true or false, got 'maybe'"),
        (["csv-full-history = true"], "--csv-full-history needs --csv <prefix>"),
    ],
)
def test_conf_file_errors_name_file_line_and_key(
    setup: Setup, lines: list[str], message: str
) -> None:
    path = setup.conf(setup.cwd / "swarm.conf", *lines)
    with pytest.raises(ConfigError) as caught:
        setup.parse()
    text = str(caught.value)
    assert message in text
    if message.startswith(":"):
        assert text.startswith(f"{path}{message.split(' ', maxsplit=1)[0]}")


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["[tool.swarm]", "userss = 3"], "[tool.swarm]: unknown option 'userss'; did you mean"),
        (["[tool.swarm]", "users = [1, 2]"], "[tool.swarm]: users: expected one value, got"),
        (["[tool.swarm]", "tags = {a = 1}"], "[tool.swarm]: tags: expected a value, got a table"),
        (["[tool.swarm]", "headless = 3"], "[tool.swarm]: headless: expected true or false"),
        (["[tool]", "swarm = 3"], "tool.swarm must be a table"),
        (["[tool.swarm]", "users = "], "invalid TOML: "),
    ],
)
def test_pyproject_errors_name_the_file_and_table(
    setup: Setup, lines: list[str], message: str
) -> None:
    path = setup.cwd / "pyproject.toml"
    setup.conf(path, *lines)
    with pytest.raises(ConfigError) as caught:
        setup.parse()
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_malformed_toml_reports_its_line(setup: Setup) -> None:
    setup.conf(setup.cwd / "pyproject.toml", "[project]", 'name = "x"', "[tool.swarm]", "users =")
    with pytest.raises(ConfigError, match=r"line 4"):
        setup.parse()


def test_other_tools_in_pyproject_are_left_alone(setup: Setup) -> None:
    setup.conf(setup.cwd / "pyproject.toml", "[tool.ruff]", "line-length = 100")
    assert setup.parse().num_users is None


def test_missing_config_file_is_a_clear_error(setup: Setup) -> None:
    setup.argv = ["--config", "nope.conf"]
    with pytest.raises(ConfigError, match=r"^--config nope.conf: no such file \(.*nope.conf\)$"):
        setup.parse()


def test_config_option_reads_toml_tables(setup: Setup) -> None:
    setup.conf(setup.cwd / "ci.toml", "[tool.locust]", "users = 4", "[tool.swarm]", "users = 5")
    setup.argv = ["--config", "ci.toml"]
    assert setup.parse().num_users == 5


def test_config_option_toml_without_tables_is_an_error(setup: Setup) -> None:
    setup.conf(setup.cwd / "ci.toml", "users = 4")
    setup.argv = ["--config", "ci.toml"]
    with pytest.raises(ConfigError, match=r"has no \[tool.swarm\] or \[tool.locust\] table"):
        setup.parse()


def test_config_option_expands_home(setup: Setup) -> None:
    setup.conf(setup.home / "ci.conf", "users = 6")
    setup.argv = ["--config", "~/ci.conf"]
    assert setup.parse().num_users == 6


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SWARM_RUN_TIME": "5x"}, "environment variable SWARM_RUN_TIME: invalid time span '5x'"),
        ({"LOCUST_USERS": "-1"}, "environment variable LOCUST_USERS: must be 0 or more, got -1"),
        ({"SWARM_HEADLESS": "maybe"}, "environment variable SWARM_HEADLESS: expected true or"),
        ({"SWARM_LOGLEVEL": "loud"}, "environment variable SWARM_LOGLEVEL: unknown log level"),
    ],
)
def test_environment_errors_name_the_variable(
    setup: Setup, env: dict[str, str], message: str
) -> None:
    setup.env.update(env)
    with pytest.raises(ConfigError) as caught:
        setup.parse()
    assert str(caught.value).startswith(message)


def test_command_line_errors_come_before_other_sources_are_read(setup: Setup) -> None:
    setup.conf(setup.cwd / "swarm.conf", "userss = 1")
    setup.argv = ["--userss", "1"]
    with pytest.raises(ConfigError, match=r"^unknown option --userss; did you mean --users\?$"):
        setup.parse()


# A userfile's own options, added the way userfiles add them.
def _userfile_options() -> Callable[[SwarmArgumentParser], object]:
    events = Events()

    @events.init_command_line_parser.add_listener
    def _(parser: SwarmArgumentParser) -> None:
        parser.add_argument("--api-token", env_var="API_TOKEN", is_secret=True, is_required=True)
        parser.add_argument("--region", is_multiple=True, choices=["eu", "us"], default=["eu"])
        parser.add_argument("--pages", type=int, default="3")

    return lambda parser: events.init_command_line_parser.fire(parser=parser)


@pytest.mark.parametrize(
    ("source", "token"),
    [
        ("cli", "from-cli"),
        ("conf", "from-conf"),
        ("pyproject", "from-pyproject"),
        ("API_TOKEN", "from-explicit-env"),
        ("SWARM_API_TOKEN", "from-swarm-env"),
        ("LOCUST_API_TOKEN", "from-locust-env"),
    ],
)
def test_custom_option_from_every_source(setup: Setup, source: str, token: str) -> None:
    if source == "cli":
        setup.argv = ["--api-token", token]
    elif source == "conf":
        setup.conf(setup.cwd / "swarm.conf", f"api-token = {token}")
    elif source == "pyproject":
        setup.pyproject("swarm", f'api_token = "{token}"')
    else:
        setup.env[source] = token
    options = setup.parse(_userfile_options())
    assert options.api_token == token
    assert (options.region, options.pages) == (["eu"], 3)


def test_custom_explicit_env_var_ranks_with_locust_variables(setup: Setup) -> None:
    setup.env.update(API_TOKEN="explicit", LOCUST_API_TOKEN="locust")
    assert setup.parse(_userfile_options()).api_token == "explicit"
    setup.env["SWARM_API_TOKEN"] = "swarm"
    assert setup.parse(_userfile_options()).api_token == "swarm"


@pytest.mark.parametrize(
    ("source", "write"),
    [
        ("cli", lambda s: s.argv.extend(["--region", "us", "--region", "eu"])),
        ("conf", lambda s: s.conf(s.cwd / "swarm.conf", "region = us, eu")),
        ("pyproject", lambda s: s.pyproject("swarm", 'region = ["us", "eu"]')),
        ("env", lambda s: s.env.update(SWARM_REGION="us eu")),
    ],
)
def test_custom_multiple_option_from_every_source(
    setup: Setup, source: str, write: Callable[[Setup], object]
) -> None:
    setup.env["API_TOKEN"] = "t"
    write(setup)
    assert setup.parse(_userfile_options()).region == ["us", "eu"]


def test_custom_option_values_are_checked_in_every_source(setup: Setup) -> None:
    setup.env.update(API_TOKEN="t", SWARM_REGION="us,mars")
    with pytest.raises(ConfigError, match="SWARM_REGION: invalid choice 'mars'; choose from eu"):
        setup.parse(_userfile_options())
    setup.env.update(SWARM_REGION="us", SWARM_PAGES="many")
    with pytest.raises(ConfigError, match="SWARM_PAGES: invalid int value 'many'"):
        setup.parse(_userfile_options())


def test_missing_required_custom_option_says_how_to_give_it(setup: Setup) -> None:
    with pytest.raises(ConfigError) as caught:
        setup.parse(_userfile_options())
    assert str(caught.value) == (
        "missing required option --api-token: give it on the command line, "
        "as 'api-token = ...' in swarm.conf, or as SWARM_API_TOKEN"
    )


def test_help_shows_custom_options(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    setup.argv = ["--help"]
    with pytest.raises(SystemExit) as caught:
        setup.parse(_userfile_options())
    assert caught.value.code == 0
    assert "--api-token" in capsys.readouterr().out


def test_userfile_defaults_to_locustfile_then_swarmfile(setup: Setup) -> None:
    assert setup.userfiles() == [str(setup.cwd / "locustfile.py")]
    (setup.cwd / "swarmfile.py").write_text("")
    assert setup.userfiles() == [str(setup.cwd / "swarmfile.py")]


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (lambda s: s.argv.extend(["-f", "a.py"]), ["a.py"]),
        (lambda s: s.argv.extend(["--userfile", "a.py, b.py"]), ["a.py", "b.py"]),
        (lambda s: s.env.update(SWARM_USERFILE="e.py"), ["e.py"]),
        (lambda s: s.env.update(LOCUST_LOCUSTFILE="l.py"), ["l.py"]),
        (lambda s: s.conf(s.cwd / "locust.conf", "locustfile = c.py"), ["c.py"]),
        (lambda s: s.pyproject("swarm", 'userfile = "p.py"'), ["p.py"]),
    ],
)
def test_userfile_from_every_source(
    setup: Setup, write: Callable[[Setup], object], expected: list[str]
) -> None:
    write(setup)
    assert setup.userfiles() == [str(setup.cwd / name) for name in expected]


def test_userfile_lookup_ignores_what_the_userfile_will_add(setup: Setup) -> None:
    setup.conf(setup.cwd / "swarm.conf", "api-token = t", "locustfile = conf.py")
    setup.argv = ["--api-token", "t", "MyUser", "--region=eu"]
    assert setup.userfiles() == [str(setup.cwd / "conf.py")]


def test_userfile_directory_becomes_its_python_files(setup: Setup) -> None:
    tests = setup.cwd / "load"
    (tests / "sub").mkdir(parents=True)
    for name in ("b.py", "a.py", "_helpers.py", "notes.txt", "sub/c.py"):
        (tests / name).write_text("")
    setup.argv = ["-f", "load"]
    assert setup.userfiles() == [str(tests / n) for n in ("a.py", "b.py", "sub/c.py")]


def test_userfile_paths_keep_urls_and_expand_home(setup: Setup) -> None:
    setup.argv = ["-f", "https://example.com/lf.py,~/x.py,/abs/y.py"]
    assert setup.userfiles() == ["https://example.com/lf.py", str(setup.home / "x.py"), "/abs/y.py"]


def test_userfile_errors(setup: Setup) -> None:
    (setup.cwd / "empty").mkdir()
    setup.argv = ["-f", "empty"]
    with pytest.raises(UserfileError, match="no userfiles"):
        setup.userfiles()
    setup.argv = ["-f", " , "]
    with pytest.raises(UserfileError, match="-f/--locustfile is empty"):
        setup.userfiles()
