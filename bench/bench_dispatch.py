"""How long dispatch takes for big tests: a full ramp and a rebalance (not part of the tests).

.venv/bin/python bench/bench_dispatch.py
"""

from __future__ import annotations

import time

from swarm.runners.dispatch import UserClassSpec, UsersDispatcher


def timed(label: str, fn) -> None:
    start = time.perf_counter()
    steps = fn()
    print(f"{label:<58} {time.perf_counter() - start:7.3f} s  ({steps} steps)")


def main() -> None:
    specs = [UserClassSpec(f"User{i}", weight=i + 1) for i in range(5)]
    workers = [f"worker-{i:03d}" for i in range(500)]
    dispatcher = UsersDispatcher(workers, specs)

    def full_ramp() -> int:
        dispatcher.new_dispatch(100_000, 5000)
        return sum(1 for _ in dispatcher)

    def rebalance() -> int:
        for worker in workers[:50]:
            dispatcher.remove_worker(worker)
        return sum(1 for _ in dispatcher)

    def ramp_down() -> int:
        dispatcher.new_dispatch(10_000, 5000)
        return sum(1 for _ in dispatcher)

    timed("ramp to 100,000 users over 500 workers at 5,000/s", full_ramp)
    timed("rebalance after 50 of the 500 workers left", rebalance)
    timed("ramp down to 10,000 users at 5,000/s", ramp_down)


if __name__ == "__main__":
    main()
