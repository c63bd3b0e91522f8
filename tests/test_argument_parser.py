"""The command line: Locust's flags and meanings, swarm's extra keywords, one-line errors."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from swarm.__version__ import __version__
from swarm.argument_parser import (
    EXTRA_KEYWORDS,
    SwarmArgumentParser,
    build_parser,
    default_userfile,
    parse_command_line,
)
from swarm.exceptions import ConfigError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"

# (command line, destination, value): Locust's flags, short forms and destinations.
FLAGS = [
    (["-f", "a.py"], "locustfile", "a.py"),
    (["--locustfile", "a.py,b.py"], "locustfile", "a.py,b.py"),
    (["--userfile", "tests/"], "locustfile", "tests/"),
    (["-H", "http://h"], "host", "http://h"),
    (["--host", "http://h"], "host", "http://h"),
    (["-u", "5"], "num_users", 5),
    (["--users", "0"], "num_users", 0),
    (["-r", "2.5"], "spawn_rate", 2.5),
    (["--spawn-rate", "3"], "spawn_rate", 3.0),
    (["-t", "1h30m"], "run_time", 5400.0),
    (["--run-time", "90"], "run_time", 90.0),
    (["-i", "7"], "iterations", 7),
    (["-l"], "list_commands", True),
    (["--list"], "list_commands", True),
    (["--headless"], "headless", True),
    (["--autostart"], "autostart", True),
    (["--autoquit", "10"], "autoquit", 10),
    (["--web-host", "127.0.0.1"], "web_host", "127.0.0.1"),
    (["-P", "8090"], "web_port", 8090),
    (["--web-port", "0"], "web_port", 0),
    (["--class-picker"], "class_picker", True),
    (["--master"], "master", True),
    (["--master-bind-host", "127.0.0.1"], "master_bind_host", "127.0.0.1"),
    (["--master-bind-port", "6000"], "master_bind_port", 6000),
    (["--expect-workers", "3"], "expect_workers", 3),
    (["--master-secret", "s3cret"], "master_secret", "s3cret"),
    (["--worker"], "worker", True),
    (["--processes", "4"], "processes", 4),
    (["--master-host", "10.0.0.1"], "master_host", "10.0.0.1"),
    (["--master-port", "6001"], "master_port", 6001),
    (["-T", "a", "b"], "tags", ["a", "b"]),
    (["--tags"], "tags", []),
    (["-E", "slow"], "exclude_tags", ["slow"]),
    (["--csv", "out/run"], "csv_prefix", "out/run"),
    (["--csv-full-history"], "stats_history_enabled", True),
    (["--print-stats"], "print_stats", True),
    (["--only-summary"], "only_summary", True),
    (["--reset-stats"], "reset_stats", True),
    (["--html", "r.html"], "html_file", "r.html"),
    (["--json"], "json", True),
    (["--json-file", "result"], "json_file", "result"),
    (["--skip-log-setup"], "skip_log_setup", True),
    (["-L", "debug"], "loglevel", "DEBUG"),
    (["--loglevel", "Warning"], "loglevel", "WARNING"),
    (["--logfile", "x.log"], "logfile", "x.log"),
    (["--show-task-ratio"], "show_task_ratio", True),
    (["--show-task-ratio-json"], "show_task_ratio_json", True),
    (["--exit-code-on-error", "3"], "exit_code_on_error", 3),
    (["-s", "30s"], "stop_timeout", 30.0),
    (["--stop-timeout", "2"], "stop_timeout", 2.0),
    (["--equal-weights"], "equal_weights", True),
    (["--config", "ci.conf"], "config", "ci.conf"),
    (["MyUser", "Other"], "user_classes", ["MyUser", "Other"]),
]


@pytest.mark.parametrize(("argv", "dest", "value"), FLAGS)
def test_each_flag_sets_locusts_destination(argv: list[str], dest: str, value: object) -> None:
    assert parse_command_line(build_parser(), argv) == {dest: value}


EXPECTED_DEFAULTS = {
    "locustfile": "locustfile.py",
    "host": None,
    "num_users": None,
    "spawn_rate": None,
    "run_time": None,
    "iterations": 0,
    "headless": False,
    "autoquit": -1,
    "web_host": "",
    "web_port": 8089,
    "master_bind_host": "*",
    "master_bind_port": 5557,
    "master_host": "127.0.0.1",
    "master_port": 5557,
    "expect_workers": 1,
    "tags": None,
    "exclude_tags": None,
    "loglevel": "INFO",
    "exit_code_on_error": 1,
    "stop_timeout": 0,
    "user_classes": [],
}


def test_defaults_are_locusts() -> None:
    defaults = vars(build_parser().parse_args([]))
    assert {dest: defaults[dest] for dest in EXPECTED_DEFAULTS} == EXPECTED_DEFAULTS


def test_swarmfile_is_the_default_userfile_when_present(tmp_path: Path) -> None:
    assert default_userfile(tmp_path) == "locustfile.py"
    (tmp_path / "swarmfile.py").write_text("")
    assert default_userfile(tmp_path) == "swarmfile.py"
    assert build_parser(cwd=tmp_path).get_default("locustfile") == "swarmfile.py"


def test_command_line_values_leave_out_what_was_not_given() -> None:
    parser = build_parser()
    assert parse_command_line(parser, ["-u", "3"]) == {"num_users": 3}
    assert parse_command_line(parser, []) == {}
    # the defaults are back afterwards
    assert parser.get_default("web_port") == 8089
    assert parser.parse_args([]).user_classes == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-u", "-3"], "argument -u/--users: must be 0 or more, got -3"),
        (["-u", "ten"], "argument -u/--users: expected a whole number, got 'ten'"),
        (["-r", "0"], "argument -r/--spawn-rate: must be a number above 0, got '0'"),
        (["-r", "-1"], "argument -r/--spawn-rate: must be a number above 0, got '-1'"),
        (["-r", "inf"], "argument -r/--spawn-rate: must be a number above 0, got 'inf'"),
        (["-t", "5x"], "argument -t/--run-time: invalid time span '5x'"),
        (["-t", "-5"], "argument -t/--run-time: negative time span '-5'"),
        (["-t", " "], "argument -t/--run-time: empty time span"),
        (["-s", "soon"], "argument -s/--stop-timeout: invalid time span 'soon'"),
        (["-L", "loud"], "argument --loglevel/-L: unknown log level 'loud'; choose DEBUG, INFO"),
        (["--web-port", "70000"], "argument --web-port/-P: must be a port number from 0 to"),
        (["--expect-workers", "0"], "argument --expect-workers: must be 1 or more, got 0"),
        (["-u"], "argument -u/--users: expected one argument"),
    ],
)
def test_bad_values_fail_with_one_line_naming_the_flag(argv: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_command_line(build_parser(), argv)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--userss", "5"], "unknown option --userss; did you mean --users?"),
        (["--userss=5"], "unknown option --userss; did you mean --users?"),
        (["-u", "1", "--hedless"], "unknown option --hedless; did you mean --headless?"),
        (["--spawnrate", "2"], "unknown option --spawnrate; did you mean --spawn-rate?"),
        (["--qqqqqqqq"], "unknown option --qqqqqqqq; see swarm --help"),
        (["--hatch-rate", "2"], "option --hatch-rate was renamed --spawn-rate"),
        (["--slave"], "option --slave was renamed --worker"),
        (["A", "--headless", "B"], "unexpected argument 'B'; user class names go together"),
    ],
)
def test_unknown_flags_get_a_hint(argv: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_command_line(build_parser(), argv)
    assert str(caught.value).startswith(message)


def test_unknown_flags_are_matched_against_custom_options_too() -> None:
    parser = build_parser()
    parser.add_argument("--api-token")
    with pytest.raises(ConfigError, match="did you mean --api-token"):
        parse_command_line(parser, ["--api-tokn", "x"])


def test_known_only_ignores_options_a_userfile_has_not_added_yet() -> None:
    given = parse_command_line(
        build_parser(early=True), ["--custom", "-f", "a.py"], known_only=True
    )
    assert given["locustfile"] == "a.py"


def test_early_parser_never_prints_or_exits() -> None:
    given = parse_command_line(build_parser(early=True), ["-h", "-V"])
    assert given == {"help": True, "version": True}


def test_version_prints_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        parse_command_line(build_parser(), ["-V"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.startswith(f"swarm {__version__} from ")


def test_help_lists_custom_options_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    parser.add_argument("--api-token", help="token for the target's API")
    with pytest.raises(SystemExit) as caught:
        parse_command_line(parser, ["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "--api-token" in out
    assert "--userfile" in out
    assert "--web-host-display-name" not in out  # hidden, as in Locust


def test_error_raises_config_error_instead_of_exiting() -> None:
    with pytest.raises(ConfigError, match=r"^broken$"):
        SwarmArgumentParser().error("broken")


def test_extra_keywords_are_kept_on_the_action() -> None:
    parser = build_parser()
    action = parser.add_argument(
        "--api-token",
        env_var="API_TOKEN",
        include_in_web_ui=False,
        is_secret=True,
        is_required=True,
    )
    assert action.env_var == "API_TOKEN"  # type: ignore[attr-defined]  # set by swarm
    assert action.include_in_web_ui is False  # type: ignore[attr-defined]  # set by swarm
    assert action.is_secret is True  # type: ignore[attr-defined]  # set by swarm
    assert action.is_required is True  # type: ignore[attr-defined]  # set by swarm
    assert action.required is False  # checked after config files and env vars, not by argparse
    plain = parser.add_argument("--plain")
    assert {name: getattr(plain, name) for name in EXTRA_KEYWORDS} == EXTRA_KEYWORDS


def test_groups_take_the_extra_keywords_too() -> None:
    parser = build_parser()
    grouped = parser.add_argument_group("mine").add_argument("--a", env_var="A_VAR")
    exclusive = parser.add_mutually_exclusive_group().add_argument("--b", is_secret=True)
    assert grouped.env_var == "A_VAR"  # type: ignore[attr-defined]  # set by swarm
    assert exclusive.is_secret is True  # type: ignore[attr-defined]  # set by swarm


def test_required_is_not_enforced_on_the_command_line_alone() -> None:
    parser = build_parser()
    parser.add_argument("--api-token", required=True)
    assert parse_command_line(parser, []) == {}


def test_is_multiple_options_repeat_into_a_list() -> None:
    parser = build_parser()
    parser.add_argument("--region", is_multiple=True, choices=["eu", "us"])
    assert parse_command_line(parser, ["--region", "eu", "--region", "us"]) == {
        "region": ["eu", "us"]
    }
    with pytest.raises(ConfigError, match="invalid choice: 'mars'"):
        parse_command_line(parser, ["--region", "mars"])


def test_web_ui_reads_the_flags_by_destination() -> None:
    parser = build_parser()
    parser.add_argument("--token", is_secret=True)
    parser.add_argument("--region", is_multiple=True)
    parser.add_argument("--tenant", is_required=True)
    parser.add_argument("--hidden", include_in_web_ui=False, is_secret=True)
    assert list(parser.secret_args_included_in_web_ui) == ["token"]
    assert list(parser.multiple_args_included_in_web_ui) == ["region"]
    assert list(parser.required_args_included_in_web_ui) == ["tenant"]
    shown = parser.args_included_in_web_ui
    assert "token" in shown
    assert "hidden" not in shown
    assert "master_secret" not in shown


def test_configuration_reference_lists_every_visible_flag() -> None:
    text = DOCS.read_text(encoding="utf-8")
    hidden = {"--web-host-display-name", "--headful", "--build-path"}
    for action in build_parser()._actions:
        for option in action.option_strings:
            if option.startswith("--") and option not in hidden:
                assert f"`{option}" in text, option


def test_parsed_values_are_the_types_argparse_would_store() -> None:
    options = build_parser().parse_args(["-u", "2", "-r", "1", "-t", "10s"])
    assert isinstance(options, argparse.Namespace)
    assert (type(options.num_users), type(options.spawn_rate), type(options.run_time)) == (
        int,
        float,
        float,
    )
