"""A load shape in stages (k6's ``stages``): ramp up, hold, spike, ramp down, end.

    swarm -f examples/shape_stages.py --headless

The same run without code: ``--stages 20s:20:2,40s:20:2,10s:60:20,20s:0:10`` on any userfile.
Without -H the demo shop is served inside this process.
"""

from swarm import HttpUser, between, events, task
from swarm.demo import serve_without_host
from swarm.shapes import Stage, StagesShape


@events.init.add_listener
def serve_demo_shop(environment, **kwargs):
    serve_without_host(environment, seed=1)


class Browser(HttpUser):
    wait_time = between(0.5, 1.5)

    @task(3)
    def products(self):
        self.client.get("/products")

    @task
    def search(self):
        self.client.get("/search", params={"q": "mug"})


class RampHoldSpike(StagesShape):
    stages = (
        Stage(duration=20, users=20, spawn_rate=2),  # ramp up over 10 s, then hold
        Stage(duration=40, users=20, spawn_rate=2),
        Stage(duration=10, users=60, spawn_rate=20),  # a short spike
        Stage(duration=20, users=0, spawn_rate=10),  # ramp down; the test ends after it
    )
