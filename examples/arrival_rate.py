"""The open model: orders arrive at a rate, whatever the shop does (k6's ramping-arrival-rate).

    swarm -f examples/arrival_rate.py --headless

Each iteration runs one task of a user taken from a pool of at most 50; an iteration that
finds every user busy for longer than max_lateness is dropped and counted. Latencies are
measured from when each iteration was due (corrected for coordinated omission), the service
times as the client saw them beside them. The same run without the shape class, on any
userfile: ``--arrival-stages 30s:50/s,60s:50/s,30s:0 --max-users 50``. Without -H the demo
shop is served inside this process.
"""

from swarm import HttpUser, events, task
from swarm.demo import serve_without_host
from swarm.shapes import ArrivalRateShape, RateStage


@events.init.add_listener
def serve_demo_shop(environment, **kwargs):
    serve_without_host(environment, seed=1)


class Visitor(HttpUser):
    @task(4)
    def browse(self):
        self.client.get("/products")

    @task
    def search(self):
        self.client.get("/search", params={"q": "mug"})


class Orders(ArrivalRateShape):
    stages = (
        RateStage(duration=30, rate=50),  # from 0 to 50 iterations/s
        RateStage(duration=60, rate=50),  # hold
        RateStage(duration=30, rate=0),  # back to 0; the test ends
    )
    max_users = 50
