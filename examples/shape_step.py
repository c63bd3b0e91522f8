"""Step load: 10 more users every 30 s, five times, then the test ends.

    swarm -f examples/shape_step.py --headless

Each step holds long enough to read the response times at that load: where they bend is the
capacity. Without -H the demo shop is served inside this process.
"""

from swarm import HttpUser, between, events, task
from swarm.demo import serve_without_host
from swarm.shapes import StepLoadShape


@events.init.add_listener
def serve_demo_shop(environment, **kwargs):
    serve_without_host(environment, seed=1)


class Browser(HttpUser):
    wait_time = between(0.5, 1.5)

    @task
    def products(self):
        self.client.get("/products")


class Steps(StepLoadShape):
    step_users = 10
    step_duration = 30
    steps = 5
    spawn_rate = 5
