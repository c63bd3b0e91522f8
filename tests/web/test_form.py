"""The start form: every field checked, every bad field named with a reason."""

from __future__ import annotations

import pytest

from swarm.web.form import FormError, SwarmRequest, parse_swarm_form


def form(**fields: str | list[str]) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in fields.items()}


def errors_of(**fields: str | list[str]) -> dict[str, str]:
    with pytest.raises(FormError) as caught:
        parse_swarm_form(form(**fields), available_classes={"A", "B"}, class_picker=True)
    return caught.value.errors


def test_a_complete_form_becomes_typed_values() -> None:
    wanted = parse_swarm_form(
        form(user_count=" 10 ", spawn_rate="2.5", host="http://127.0.0.1:8080", run_time="1m30s")
    )
    assert wanted == SwarmRequest(10, 2.5, "http://127.0.0.1:8080", 90.0, ())


def test_optional_fields_may_be_empty_or_missing() -> None:
    assert parse_swarm_form(form(user_count="0", spawn_rate="1", host="", run_time=" ")) == (
        SwarmRequest(0, 1.0, None, None, ())
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("user_count", "-1", "whole number ≥ 0"),
        ("user_count", "2.5", "whole number ≥ 0"),
        ("user_count", "ten", "whole number ≥ 0"),
        ("spawn_rate", "0", "above 0"),
        ("spawn_rate", "nan", "above 0"),
        ("spawn_rate", "inf", "above 0"),
        ("spawn_rate", "fast", "above 0"),
        ("host", "127.0.0.1:8080", "base URL"),
        ("host", "ftp://x", "base URL"),
        ("host", "http://x/<script>", "base URL"),
        ("run_time", "soon", "time span"),
        ("run_time", "0", "longer than 0"),
    ],
)
def test_a_bad_value_is_named_with_a_reason(field: str, value: str, message: str) -> None:
    fields = {"user_count": "1", "spawn_rate": "1", field: value}
    assert list(errors_of(**fields)) == [field]
    assert message in errors_of(**fields)[field]


def test_every_bad_field_is_reported_at_once() -> None:
    errors = errors_of(user_count="", spawn_rate="-3", run_time="x")
    assert set(errors) == {"user_count", "spawn_rate", "run_time"}
    assert errors["user_count"] == "is required"


def test_user_classes_are_read_only_with_the_class_picker() -> None:
    fields = form(user_count="1", spawn_rate="1", user_classes=["B", "A", "B", ""])
    assert parse_swarm_form(fields).user_classes == ()
    picked = parse_swarm_form(fields, available_classes={"A", "B"}, class_picker=True)
    assert picked.user_classes == ("B", "A")


def test_an_unknown_user_class_is_refused() -> None:
    errors = errors_of(user_count="1", spawn_rate="1", user_classes=["A", "Nope"])
    assert errors == {"user_classes": "unknown user class: Nope"}


def test_the_class_picker_reads_a_weight_per_chosen_class() -> None:
    wanted = parse_swarm_form(
        form(user_count="4", spawn_rate="1", user_classes=["A", "B"], weight_A="3", weight_B=""),
        available_classes={"A", "B"},
        class_picker=True,
    )
    assert wanted.weights == {"A": 3}


def test_bad_weights_are_named_beside_their_class() -> None:
    errors = errors_of(user_count="1", spawn_rate="1", user_classes=["A", "B"], weight_A="x")
    assert errors == {"weight_A": "must be a whole number ≥ 0"}
    errors = errors_of(
        user_count="1", spawn_rate="1", user_classes=["A"], weight_A="0", weight_B="5"
    )
    assert errors == {"user_classes": "at least one chosen class needs a weight above 0"}


def test_with_a_shape_users_and_rate_are_neither_required_nor_read() -> None:
    assert parse_swarm_form(form(host="http://127.0.0.1:9"), shape=True) == (
        SwarmRequest(None, None, "http://127.0.0.1:9", None, ())
    )
    ignored = parse_swarm_form(form(user_count="-5", spawn_rate="x", run_time="2m"), shape=True)
    assert (ignored.user_count, ignored.spawn_rate, ignored.run_time) == (None, None, 120.0)


def test_with_a_shape_the_other_fields_are_still_checked() -> None:
    with pytest.raises(FormError) as caught:
        parse_swarm_form(form(host="ftp://x", run_time="soon"), shape=True)
    assert set(caught.value.errors) == {"host", "run_time"}
