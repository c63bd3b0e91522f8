"""The demo shop: a small WSGI app with realistic latencies, to point a first test at.

Routes (JSON unless noted; ``<id>`` is a product id)::

    GET  /                home page (HTML)
    GET  /products        the catalogue
    GET  /product/<id>    one product; 404 for an unknown id
    GET  /search?q=...    products whose name contains q (case-insensitive)
    POST /login           username and password (form or JSON): sets the ``session`` cookie
    GET  /logout          ends the session, redirects (302) to /
    GET  /cart            the session's cart                          (401 without a session)
    POST /cart            add product_id (or product) and quantity (default 1)  (401 without)
    POST /checkout        order the cart; 400 when empty; fails with 500 at ``error_rate``
    GET  /slow            a few hundred ms; ``?ms=N`` waits exactly N ms (not scaled)
    HEAD on any GET route: its headers alone
    GET  /__stats         request counts (not counted themselves)
    POST /__reset         zero the counts (not counted)
    POST /__stall?after=N&seconds=S   from the N-th request on, hold every request until S
                          seconds have passed, as a server pausing (a GC, a failover) does

Each route waits a lognormal time around its own median (5-40 ms, 300 ms for /slow) times
``latency_scale``; latencies and checkout failures come from one ``random.Random(seed)``, so
one sequence of requests gives one sequence of outcomes. Every request is counted when it
arrives, under ``(method, route template)``; a request that matches no route is counted under
``(method, "<other>")``, and a method outside the usual seven as "OTHER", so that the counts
stay bounded whatever the requests.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from gevent.event import Event

from swarm.demo.catalog import CATALOG, HOME_PAGE, Product

OTHER = "<other>"
MAX_SESSIONS = 100_000
MAX_BODY = 1 << 20
MAX_SLOW_MS = 60_000
SLOW_MEDIAN_MS = 300.0
# Any other method is counted as "OTHER", so that the counts stay bounded.
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
SESSION_COOKIE = "session"
_LATENCY_SIGMA = 0.5

StartResponse = Callable[..., Any]


@dataclass
class Request:
    """What a handler needs from one WSGI request."""

    method: str
    path: str
    query: dict[str, str]
    cookies: dict[str, str]
    form: dict[str, Any]
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Reply:
    """A handler's answer: ``body`` is JSON-encoded unless it is a str (sent as HTML)."""

    status: int
    body: Any = None
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Session:
    user: str
    cart: Counter[int] = field(default_factory=Counter)


@dataclass(frozen=True)
class Route:
    """``median_ms`` of the latency before the handler runs; None: the handler waits itself."""

    method: str
    template: str
    handler: str
    median_ms: float | None


ROUTES = (
    Route("GET", "/", "home", 5.0),
    Route("GET", "/products", "products", 15.0),
    Route("GET", "/product/<id>", "product", 10.0),
    Route("GET", "/search", "search", 30.0),
    Route("POST", "/login", "login", 25.0),
    Route("GET", "/logout", "logout", 5.0),
    Route("GET", "/cart", "cart", 10.0),
    Route("POST", "/cart", "add_to_cart", 15.0),
    Route("POST", "/checkout", "checkout", 40.0),
    Route("GET", "/slow", "slow", None),
)


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", template) + "$")


_MATCHERS = [(_pattern(r.template), r) for r in ROUTES]


def match(method: str, path: str) -> tuple[str, Route | None, dict[str, str]]:
    """The template ``path`` counts under, the route for ``method`` (None: no such route)
    and the path's parameters. HEAD is served by the GET route, without a body.
    """
    wanted = "GET" if method == "HEAD" else method
    template = OTHER
    for pattern, route in _MATCHERS:
        found = pattern.match(path)
        if found is None:
            continue
        template = route.template
        if route.method == wanted:
            return template, route, found.groupdict()
    return template, None, {}


class Shop:
    """The WSGI app. ``close()`` ends every pending latency wait at once (used on shutdown)."""

    def __init__(
        self, seed: int | None = None, latency_scale: float = 1.0, error_rate: float = 0.02
    ) -> None:
        self.latency_scale = latency_scale
        self.error_rate = error_rate
        self._rng = random.Random(seed)
        self._closed = Event()
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._orders = 0
        self.counts: Counter[tuple[str, str]] = Counter()
        self.total_served = 0
        # (the count that starts the stall, its seconds); when it started, until when
        self._stall: tuple[int, float] | None = None
        self._stalled_until = 0.0

    def stall_after(self, requests: int, seconds: float) -> None:
        """When ``requests`` requests have been served, pause: every request that arrives
        in the next ``seconds`` (the one that starts the stall included) is answered only
        when they are over."""
        self._stall = (requests, seconds)

    def close(self) -> None:
        self._closed.set()

    def reset_counts(self) -> None:
        self.counts.clear()
        self.total_served = 0

    def stats(self) -> dict[str, Any]:
        """The counts as JSON-ready data: ``{"total": n, "counts": {"GET /cart": n, ...}}``."""
        counts = {f"{m} {t}": n for (m, t), n in sorted(self.counts.items())}
        return {"total": self.total_served, "counts": counts}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO") or "/"
        reply = self._internal(method, path, environ)
        if reply is None:
            reply = self._serve(method, path, environ)
        body = _send(reply, start_response)
        return [] if method == "HEAD" else body

    def _internal(self, method: str, path: str, environ: dict[str, Any]) -> Reply | None:
        if path == "/__stats" and method == "GET":
            return Reply(200, self.stats())
        if path == "/__reset" and method == "POST":
            self.reset_counts()
            return Reply(200, self.stats())
        if path == "/__stall" and method == "POST":
            return self._arm_stall(environ.get("QUERY_STRING", ""))
        return None

    def _arm_stall(self, query: str) -> Reply:
        args = parse_qs(query)
        after = _positive_int((args.get("after") or ["1"])[0])
        try:
            seconds = float((args.get("seconds") or ["1"])[0])
        except ValueError:
            seconds = -1.0
        if after is None or not 0 < seconds <= 60:
            return Reply(400, {"error": "expected after=N (1 or more) and seconds=S (0 to 60)"})
        self.stall_after(self.total_served + after, seconds)
        return Reply(200, {"stall_at_request": self.total_served + after, "seconds": seconds})

    def _hold_if_stalled(self) -> None:
        now = time.monotonic()
        if self._stall is not None and self.total_served >= self._stall[0]:
            self._stalled_until = now + self._stall[1]
            self._stall = None
        if now < self._stalled_until:
            self._closed.wait(self._stalled_until - now)

    def _serve(self, method: str, path: str, environ: dict[str, Any]) -> Reply:
        template, route, params = match(method, path)
        self.counts[method if method in METHODS else "OTHER", template] += 1
        self.total_served += 1
        self._hold_if_stalled()
        if route is None:
            status = HTTPStatus.NOT_FOUND if template == OTHER else HTTPStatus.METHOD_NOT_ALLOWED
            return Reply(status, {"error": status.phrase})
        try:
            request = _parse(environ, method, path, params)
        except ValueError as e:
            return Reply(400, {"error": str(e)})
        except OverflowError:
            return Reply(413, {"error": "request body too large"})
        handler: Callable[[Request], Reply] = getattr(self, "_" + route.handler)
        if route.median_ms is not None:
            self._wait(self._latency_ms(route.median_ms))
        return handler(request)

    def _latency_ms(self, median_ms: float) -> float:
        if self.latency_scale <= 0:
            return 0.0
        return self._rng.lognormvariate(math.log(median_ms), _LATENCY_SIGMA) * self.latency_scale

    def _wait(self, ms: float) -> None:
        if ms > 0:
            self._closed.wait(ms / 1000)

    def _session(self, request: Request) -> Session | None:
        token = request.cookies.get(SESSION_COOKIE)
        return self._sessions.get(token) if token else None

    # -- handlers: one per route, named in ROUTES ------------------------------------------

    def _home(self, request: Request) -> Reply:
        return Reply(200, HOME_PAGE)

    def _products(self, request: Request) -> Reply:
        return Reply(200, [p.json() for p in CATALOG.values()])

    def _product(self, request: Request) -> Reply:
        product = _find(request.params["id"])
        if product is None:
            return Reply(404, {"error": "no such product"})
        return Reply(200, product.json())

    def _search(self, request: Request) -> Reply:
        query = request.query.get("q", "").strip().lower()
        found = [p.json() for p in CATALOG.values() if query in p.name.lower()]
        return Reply(200, {"query": query, "results": found})

    def _login(self, request: Request) -> Reply:
        user = str(request.form.get("username") or "")
        if not user or not request.form.get("password"):
            return Reply(400, {"error": "username and password are required"})
        token = f"{self._rng.getrandbits(64):016x}"
        self._sessions[token] = Session(user)
        if len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        cookie = f"{SESSION_COOKIE}={token}; Path=/; HttpOnly"
        return Reply(200, {"user": user}, [("Set-Cookie", cookie)])

    def _logout(self, request: Request) -> Reply:
        self._sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        expired = f"{SESSION_COOKIE}=; Path=/; Max-Age=0"
        return Reply(302, {}, [("Location", "/"), ("Set-Cookie", expired)])

    def _cart(self, request: Request) -> Reply:
        session = self._session(request)
        if session is None:
            return _login_required()
        return Reply(200, _cart_json(session))

    def _add_to_cart(self, request: Request) -> Reply:
        session = self._session(request)
        if session is None:
            return _login_required()
        form = request.form
        product = _find(str(form.get("product_id", form.get("product", ""))))
        if product is None:
            return Reply(404, {"error": "no such product"})
        quantity = _positive_int(request.form.get("quantity", 1))
        if quantity is None:
            return Reply(400, {"error": "quantity must be a positive integer"})
        session.cart[product.id] += quantity
        return Reply(200, _cart_json(session))

    def _checkout(self, request: Request) -> Reply:
        session = self._session(request)
        if session is None:
            return _login_required()
        if not session.cart:
            return Reply(400, {"error": "cart is empty"})
        if self._rng.random() < self.error_rate:
            return Reply(500, {"error": "payment service unavailable"})
        total = _cart_json(session)["total"]
        session.cart.clear()
        self._orders += 1
        return Reply(200, {"order_id": self._orders, "total": total})

    def _slow(self, request: Request) -> Reply:
        asked = request.query.get("ms")
        if asked is None:
            ms = self._latency_ms(SLOW_MEDIAN_MS)
        else:
            parsed = _positive_int(asked)
            if parsed is None:
                return Reply(400, {"error": "ms must be a positive integer"})
            ms = min(parsed, MAX_SLOW_MS)
        self._wait(ms)
        return Reply(200, {"waited_ms": round(ms, 3)})


def _find(product_id: str) -> Product | None:
    return CATALOG.get(int(product_id)) if product_id.isdigit() else None


def _positive_int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _login_required() -> Reply:
    return Reply(401, {"error": "login required"})


def _cart_json(session: Session) -> dict[str, Any]:
    items = [
        {"product_id": pid, "name": CATALOG[pid].name, "quantity": n, "price": CATALOG[pid].price}
        for pid, n in sorted(session.cart.items())
    ]
    total = round(sum(n * CATALOG[pid].price for pid, n in session.cart.items()), 2)
    return {"user": session.user, "items": items, "total": total}


def _parse(environ: dict[str, Any], method: str, path: str, params: dict[str, str]) -> Request:
    """Read the query, cookies and body of a request; ValueError for a malformed body,
    OverflowError for one over ``MAX_BODY`` bytes.
    """
    query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    cookies = {}
    for part in environ.get("HTTP_COOKIE", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key:
            cookies[key] = value
    return Request(method, path, query, cookies, _read_form(environ), params)


def _read_form(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > MAX_BODY:
        raise OverflowError(length)
    if length <= 0:
        return {}
    raw = environ["wsgi.input"].read(length)
    if environ.get("CONTENT_TYPE", "").startswith("application/json"):
        data = json.loads(raw)  # a JSONDecodeError is a ValueError: a 400
        if not isinstance(data, dict):
            raise ValueError("the JSON body must be an object")
        return data
    return {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}


def _send(reply: Reply, start_response: StartResponse) -> list[bytes]:
    if isinstance(reply.body, str):
        body = reply.body.encode()
        content_type = "text/html; charset=utf-8"
    else:
        body = json.dumps(reply.body).encode()
        content_type = "application/json"
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    status = HTTPStatus(reply.status)
    start_response(f"{status.value} {status.phrase}", headers + reply.headers)
    return [body]
