"""``LoadTestShape`` under Locust's module path (``from locust.shape import LoadTestShape``)."""

from __future__ import annotations

from swarm.user.shape import LoadTestShape

__all__ = ["LoadTestShape"]
