"""The userfile the Kubernetes manifests run: a shopper browsing swarm's demo shop.

Every pod mounts it at /home/swarm/userfile.py from the ``swarm-userfile`` ConfigMap. Replace
it with your own through the ConfigMap (docs/kubernetes.md, "The knobs"); the host comes from
``--host`` in the manifests.
"""

import random

from swarm import HttpUser, between, task


class Shopper(HttpUser):
    wait_time = between(0.5, 2)

    @task(5)
    def browse(self):
        self.client.get("/products")

    @task(3)
    def view_product(self):
        self.client.get(f"/product/{random.randint(1, 20)}", name="/product/[id]")

    @task(1)
    def search(self):
        self.client.get("/search?q=shoes", name="/search")
