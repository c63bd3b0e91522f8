"""A shopper browsing swarm's demo shop: the userfile `make demo` runs.

Without -H, the demo shop is served inside this process (see the init listener below), so
this file needs nothing else to run:

    swarm -f examples/demo.py --headless -u 40 -r 10 -t 15s
"""

from swarm import HttpUser, between, events, tag, task
from swarm.demo import DemoTarget


@events.init.add_listener
def serve_demo_shop(environment):
    """No host given: start the demo shop on 127.0.0.1 and point the test at it."""
    if environment.host:
        return
    target = DemoTarget(seed=1)
    target.start()
    environment.host = target.url
    events.quit.add_listener(target.stop)


class Shopper(HttpUser):
    weight = 3
    wait_time = between(0.1, 0.5)

    def on_start(self):
        self.client.post("/login", data={"username": "demo", "password": "secret"})

    @task(5)
    @tag("browse")
    def browse(self):
        self.client.get("/products")

    @task(3)
    @tag("browse")
    def view_product(self):
        product = self.environment.runner.user_count % 20 + 1 if self.environment.runner else 1
        self.client.get(f"/product/{product}", name="/product/[id]")

    @task(2)
    def search(self):
        self.client.get("/search?q=shoes", name="/search")

    @task(1)
    def buy(self):
        self.client.post("/cart", json={"product": 3, "quantity": 1})
        with self.client.post("/checkout", catch_response=True) as response:
            if response.status_code == 200:
                response.success()
            else:
                response.failure(f"checkout failed with HTTP {response.status_code}")


class Visitor(HttpUser):
    """Someone who only looks at the home page now and then."""

    weight = 1
    wait_time = between(0.5, 1.5)

    @task
    def home(self):
        self.client.get("/")
