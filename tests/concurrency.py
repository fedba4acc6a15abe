"""Run one action from several threads at the same moment (PostgreSQL tests: each thread
has its own connection, so row locks really race)."""

import threading
from collections.abc import Callable

from django.db import connections

from solabooks.core.errors import DomainError


def run_together(actions: list[Callable[[], str]]) -> list[str]:
    """Start every action in its own thread together (a barrier); return each one's
    outcome, sorted: what it returned, "refused" for a DomainError, or the repr of any other
    error (so the test, not a thread, reports it)."""
    start = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action: Callable[[], str]) -> None:
        try:
            start.wait()
            outcomes.append(action())
        except DomainError:
            outcomes.append("refused")
        except BaseException as error:
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    started = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=60)
    return sorted(outcomes)


def run_at_once(action: Callable[[], str], *, threads: int) -> list[str]:
    """`action` from `threads` threads at the same moment (see run_together)."""
    return run_together([action] * threads)
