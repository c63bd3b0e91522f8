"""A team's own userfile, with a data file beside it: both come from the ConfigMap, mounted
at the working directory, so the file is found next to this one.
"""

import random
from pathlib import Path

from swarm import HttpUser, between, task

TERMS = Path(__file__).with_name("search-terms.txt").read_text().split()


class Searcher(HttpUser):
    wait_time = between(1, 3)

    @task(3)
    def search(self):
        self.client.get(f"/search?q={random.choice(TERMS)}", name="/search")

    @task(1)
    def browse(self):
        self.client.get("/products")
