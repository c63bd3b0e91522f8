"""The embedded demo target: a small shop over HTTP to try swarm against
(``python -m swarm.demo``), and the server swarm's own tests load.
"""

from swarm.demo.target import DemoTarget

__all__ = ["DemoTarget"]
