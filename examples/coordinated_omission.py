"""Coordinated omission, seen: the demo shop pauses for 1 s in the middle of an open-model run.

    swarm -f examples/coordinated_omission.py --headless --arrival-rate 100/s --max-users 2 \
        --max-lateness 3s -i 1000

Two users cannot start the iterations due during the pause; they start late, once the shop
answers again. Measured from when each was due (swarm's response times in this mode), the
pause shows in the 99th percentile; the uncorrected service times, what a closed-loop tool
would report, hardly move. docs/load-models.md walks through the numbers.
"""

from swarm import HttpUser, events, task
from swarm.demo import serve_without_host


@events.init.add_listener
def serve_pausing_shop(environment, **kwargs):
    target = serve_without_host(environment, seed=1, latency_scale=0.2)
    if target is not None:
        target.shop.stall_after(requests=300, seconds=1.0)


class Visitor(HttpUser):
    @task
    def home(self):
        self.client.get("/")
