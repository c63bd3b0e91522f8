"""A hand-written load shape: tick() decides users, spawn rate and user classes each second.

    swarm -f examples/shape_custom.py --headless

Browsers only for the first 30 s, then buyers join, then the test ends at 90 s. Without -H
the demo shop is served inside this process.
"""

from swarm import HttpUser, LoadTestShape, between, events, task
from swarm.demo import serve_without_host


@events.init.add_listener
def serve_demo_shop(environment, **kwargs):
    serve_without_host(environment, seed=1)


class Browser(HttpUser):
    wait_time = between(0.5, 1.5)

    @task
    def products(self):
        self.client.get("/products")


class Buyer(HttpUser):
    wait_time = between(1, 2)

    def on_start(self):
        self.client.post("/login", data={"username": "buyer", "password": "secret"})

    @task
    def buy(self):
        self.client.post("/cart", data={"product_id": 1})
        self.client.post("/checkout")


class BrowseThenBuy(LoadTestShape):
    def tick(self):
        seconds = self.get_run_time()
        if seconds < 30:
            return (20, 5, [Browser])
        if seconds < 90:
            return (40, 5, [Browser, Buyer])
        return None
