"""``from swarm.contrib.websocket import WebSocketUser``: users that speak WebSockets."""

from swarm.protocols.websocket import WebSocketClient, WebSocketUser

__all__ = ["WebSocketClient", "WebSocketUser"]
