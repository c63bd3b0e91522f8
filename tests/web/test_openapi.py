"""The OpenAPI document stays true: same routes as the app, replies of the documented shape."""

from __future__ import annotations

from typing import Any

from web.harness import Orders, Web, make_web

from swarm.web.openapi import ROUTES

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def conforms(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Where ``value`` breaks ``schema`` (the subset the document uses): empty if nowhere."""
    if "anyOf" in schema:
        if any(not conforms(value, option, where) for option in schema["anyOf"]):
            return []
        return [f"{where}: matches none of {schema['anyOf']}"]
    kind = schema["type"]
    is_bool = isinstance(value, bool)
    if not isinstance(value, _TYPES[kind]) or (is_bool and kind in ("integer", "number")):
        return [f"{where}: {value!r} is not {kind}"]
    problems: list[str] = []
    if kind == "array":
        for i, item in enumerate(value):
            problems += conforms(item, schema["items"], f"{where}[{i}]")
    if kind == "object":
        problems += [
            f"{where}: no {key!r}" for key in schema.get("required", ()) if key not in value
        ]
        for key, item in value.items():
            sub = schema.get("properties", {}).get(key) or schema.get("additionalProperties")
            if sub:
                problems += conforms(item, sub, f"{where}.{key}")
    return problems


def registered_routes(web: Web) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in web.ui.app.url_map.iter_rules()
        if rule.endpoint != "pages.static"
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def test_every_route_is_documented_and_every_documented_route_exists(web: Web) -> None:
    documented = {(route.path, method) for route in ROUTES for method in route.methods}
    assert registered_routes(web) == documented


def test_the_document_is_served_with_every_path(web: Web) -> None:
    document = web.client.get("/api/openapi.json").json
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {route.path for route in ROUTES}
    swarm = document["paths"]["/swarm"]["post"]
    assert "400" in swarm["responses"] and "requestBody" in swarm


def test_replies_have_the_documented_shape(web: Web) -> None:
    schemas = {route.path: route.response for route in ROUTES}
    web.client.post("/swarm", data={"user_count": "0", "spawn_rate": "1"})
    web.request("/a", 12.0, error="boom")
    web.env.stats.log_exception("E()", "tb")
    web.env.stats.record_history(web.clock(), 1)
    web.ui.record_history(web.clock())
    for path in (
        "/stats/requests",
        "/exceptions",
        "/logs",
        "/tasks",
        "/user_classes",
        "/api/history",
        "/api/history?name=/a&method=GET",
        "/api/stats/json",
        "/api/openapi.json",
        "/stop",
        "/stats/reset",
    ):
        reply = web.client.get(path)
        assert reply.status_code == 200, path
        schema = schemas[path.partition("?")[0]]
        assert schema is not None
        assert conforms(reply.json, schema) == [], path


def test_arrival_rate_replies_have_the_documented_shape() -> None:
    schemas = {route.path: route.response for route in ROUTES}
    for web in make_web(shape=Orders()):
        assert web.client.post("/swarm", data={}).status_code == 200
        web.request("/a", 12.0)  # through the arrival run's listener: corrected and service
        snapshot = web.client.get("/stats/requests").json
        report = web.client.get("/api/stats/json").json
        assert snapshot["arrival"] is not None
        assert all("service_time_percentiles" in row for row in snapshot["stats"])
        assert report and all("arrival" in item for item in report)
        assert conforms(snapshot, schemas["/stats/requests"] or {}) == []
        assert conforms(report, schemas["/api/stats/json"] or {}) == []


def test_the_checker_itself_catches_a_missing_key() -> None:
    schema = {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}
    assert conforms({"a": 1}, schema) == []
    assert conforms({}, schema) == ["$: no 'a'"]
    assert conforms({"a": True}, schema) == ["$.a: True is not integer"]


def test_form_errors_have_the_documented_shape(web: Web) -> None:
    reply = web.client.post("/swarm", data={"user_count": "x"})
    route = next(r for r in ROUTES if r.path == "/swarm")
    document = web.client.get("/api/openapi.json").json
    schema = document["paths"]["/swarm"]["post"]["responses"]["400"]["content"]
    assert reply.status_code in route.errors
    assert conforms(reply.json, schema["application/json"]["schema"]) == []
