"""swarm's twin of ../shared/bench/locustfile.py: one GET per task, back to back.

Knobs from the environment, as the Locust side reads them:
  BENCH_PATH   path to GET                 (default "/")
  BENCH_WAIT   seconds between tasks       (default 0 = back to back)
"""

import os

from swarm import FastHttpUser, HttpUser, constant, task

PATH = os.environ.get("BENCH_PATH", "/")
WAIT = float(os.environ.get("BENCH_WAIT", "0"))


class HttpBench(HttpUser):
    wait_time = constant(WAIT)

    @task
    def get(self):
        self.client.get(PATH)


class FastBench(FastHttpUser):
    wait_time = constant(WAIT)

    @task
    def get(self):
        self.client.get(PATH)
