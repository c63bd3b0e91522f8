"""Chat over WebSockets: each user joins a room, says hello and waits for its own echo.

    swarm -f examples/websocket_chat.py --headless -u 10 -r 5 -t 30s -H http://127.0.0.1:8765

Every connect, send and receive shows up in the statistics as type WS; a server that closes
the connection, drops it or stays silent shows up as failures, not as crashed users.
"""

from swarm import between, task
from swarm.contrib.websocket import WebSocketUser


class Chatter(WebSocketUser):
    wait_time = between(1, 2)
    reconnect = True  # after a drop, the next call connects again
    ws_timeout = 5.0

    def on_start(self) -> None:
        self.ws.connect("/room/lobby")

    @task
    def say_hello(self) -> None:
        # other members' messages may arrive first: wait for the echo of our own
        text = f"hello from {id(self)}"
        self.ws.request(text, match=lambda message: message == text, name="hello")
