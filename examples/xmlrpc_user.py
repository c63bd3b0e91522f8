"""An XML-RPC user: any client becomes a swarm client by reporting each call as a request.

``XmlRpcClient`` wraps ``xmlrpc.client.ServerProxy``: every remote call is timed with
``events.request.measure()`` and fired as one request of type ``xmlrpc`` named after the
method, with the response's size; a ``Fault`` (or any error on the way) is that request's
failure. See docs/custom-protocols.md for the walk-through.

It expects an XML-RPC server offering ``add(a, b)`` and ``divide(a, b)``, for example::

    from xmlrpc.server import SimpleXMLRPCServer
    server = SimpleXMLRPCServer(("127.0.0.1", 8000), logRequests=False)
    server.register_function(lambda a, b: a + b, "add")
    server.register_function(lambda a, b: a / b, "divide")
    server.serve_forever()

and runs with:

    swarm -f examples/xmlrpc_user.py --headless -u 5 -r 5 -t 10s -H http://127.0.0.1:8000
"""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Callable
from http.client import HTTPResponse
from typing import Any

from swarm import User, between, task
from swarm.event import EventHook


class _SizedTransport(xmlrpc.client.Transport):
    """A Transport that remembers the size of the last response body (its Content-Length)."""

    last_response_length = 0

    def parse_response(self, response: HTTPResponse) -> Any:
        # Read the header before parsing: a Fault is raised by the parse itself.
        self.last_response_length = int(response.getheader("Content-Length") or 0)
        return super().parse_response(response)


class XmlRpcClient:
    """``client.method(*args)`` calls ``method`` on the server and reports it as one request.

    The result is returned; a call that failed (a ``Fault``, a refused connection, an HTTP
    error) is reported as a failure and returns None, so the task goes on, as an HttpUser's
    failed request does. One client serves one user: calls are made one at a time.
    """

    def __init__(
        self, url: str, request_event: EventHook, context: Callable[[], dict[str, Any]]
    ) -> None:
        self._transport = _SizedTransport()
        self._proxy = xmlrpc.client.ServerProxy(url, transport=self._transport, allow_none=True)
        self._request_event = request_event
        self._context = context

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method.startswith("_"):
            # Python's own protocol probes (copy, pickle, ...) are not remote methods.
            raise AttributeError(method)
        remote = getattr(self._proxy, method)

        def call(*args: Any) -> Any:
            self._transport.last_response_length = 0
            with self._request_event.measure("xmlrpc", method, context=self._context()) as meta:
                try:
                    meta["response"] = remote(*args)
                finally:
                    # A Fault has a body too: its size counts as much as a result's.
                    meta["response_length"] = self._transport.last_response_length
            return meta["response"]

        return call


class XmlRpcUser(User):
    """A User whose ``client`` is an ``XmlRpcClient`` on its host (``-H http://...``)."""

    abstract = True
    client: XmlRpcClient

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        if not self.host:
            raise ValueError("XmlRpcUser needs a host: -H http://HOST:PORT or host = ...")
        self.client = XmlRpcClient(self.host, environment.events.request, self.context)


class Calculator(XmlRpcUser):
    wait_time = between(0.01, 0.05)

    @task(3)
    def add(self) -> None:
        self.client.add(2, 3)

    @task(1)
    def divide_by_zero(self) -> None:
        # The server answers with a Fault, which is reported as a failure of "divide".
        self.client.divide(1, 0)
