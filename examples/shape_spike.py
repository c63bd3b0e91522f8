"""A spike: 10 users, 100 of them for 30 s from the first minute on, back to 10, end at 3 min.

    swarm -f examples/shape_spike.py --headless

Watch whether the response times recover after the spike. Without -H the demo shop is served
inside this process.
"""

from swarm import HttpUser, between, events, task
from swarm.demo import serve_without_host
from swarm.shapes import SpikeShape


@events.init.add_listener
def serve_demo_shop(environment, **kwargs):
    serve_without_host(environment, seed=1)


class Browser(HttpUser):
    wait_time = between(0.5, 1.5)

    @task
    def products(self):
        self.client.get("/products")


class FlashSale(SpikeShape):
    base_users = 10
    spike_users = 100
    spike_at = 60
    spike_duration = 30
    duration = 180
    spawn_rate = 5
    spike_rate = 50
