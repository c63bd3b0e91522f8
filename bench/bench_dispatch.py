"""How long dispatch takes for a big test: a full ramp, a rebalance and a ramp down.

    .venv/bin/python bench/bench_dispatch.py

Not part of the test suite. Besides seconds it prints the spread of the worker totals and
how many users were moved: stopped on a worker that stays, to be started on another one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from swarm.runners.dispatch import Dispatch, UserClassSpec, UsersDispatcher

USERS = 100_000
WORKERS = 500
RATE = 5000.0


def moved(before: Dispatch, after: Dispatch) -> int:
    """Users that one change stops on workers that stay and starts elsewhere."""
    stopped = started = 0
    for worker, per_class in after.items():
        for name, count in per_class.items():
            change = count - before.get(worker, {}).get(name, 0)
            started += max(0, change)
            stopped += max(0, -change) if worker in before else 0
    return min(stopped, started)


def report(label: str, action: Callable[[], list[Dispatch]], start_from: Dispatch) -> None:
    start = time.perf_counter()
    dispatches = action()
    seconds = time.perf_counter() - start
    pairs = zip([start_from, *dispatches], dispatches, strict=False)
    moves = sum(moved(before, after) for before, after in pairs)
    totals = [sum(per_class.values()) for per_class in dispatches[-1].values()]
    print(
        f"{label:<50} {seconds:6.3f} s {len(dispatches):5d} steps  "
        f"worker totals {min(totals)}..{max(totals)}  users moved {moves}"
    )


def main() -> None:
    specs = [UserClassSpec(f"User{i}", weight=i + 1) for i in range(5)]
    workers = [f"host{i % 50:02d}_{i:03d}" for i in range(WORKERS)]
    dispatcher = UsersDispatcher(workers, specs)

    def ramp_to(users: int) -> Callable[[], list[Dispatch]]:
        def ramp() -> list[Dispatch]:
            dispatcher.new_dispatch(users, RATE)
            return [users for _, users in dispatcher]

        return ramp

    def rebalance() -> list[Dispatch]:
        for worker in dispatcher.workers[:50]:
            dispatcher.remove_worker(worker)
        return [users for _, users in dispatcher]

    report(f"ramp to {USERS:,} users on {WORKERS} workers at {RATE:,.0f}/s", ramp_to(USERS), {})
    report("rebalance after 50 of the 500 workers left", rebalance, dispatcher.current)
    report(f"ramp down to 10,000 users at {RATE:,.0f}/s", ramp_to(10_000), dispatcher.current)


if __name__ == "__main__":
    main()
