"""Work a request hands off so that its answer does not depend on it.

Some answers must not reveal what happened: "if that email has an account, we have sent it
a link" takes the same time for every email only when the request does the same work for
every email. Such a request validates its input, calls `enqueue_after_response()` once and
answers; the deciding (is there an account? which link?) and the rendering happen in the
task.

- With a real queue (`TASK_BACKEND=database`) the request writes one task row, whatever
  the input; a worker runs it.
- With the embedded default (django-tasks' immediate backend) the task runs in the same
  process after the response has been handed to the server: Django sends
  `request_finished` when the server closes the response, which it does after writing it.
  (The test client closes the response before returning it, so tests see the work done.)
  Outside a request (a management command, a task) it runs at once.
"""

import logging
import threading
from collections.abc import Callable

from django.core.signals import request_finished, request_started
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import Task

logger = logging.getLogger(__name__)
_state = threading.local()


def _request_started(**kwargs) -> None:
    _state.after_response = []


def _request_finished(**kwargs) -> None:
    pending: list[Callable[[], object]] = getattr(_state, "after_response", None) or []
    _state.after_response = None
    for work in pending:
        try:
            work()
        except Exception:  # the answer is gone already; a failure is the task's to log
            logger.exception("Work deferred until after the response failed.")


def connect_signals() -> None:
    """Called once from CoreConfig.ready()."""
    request_started.connect(_request_started, dispatch_uid="solabooks-after-response-start")
    request_finished.connect(_request_finished, dispatch_uid="solabooks-after-response-end")


def enqueue_after_response(task: Task, **kwargs: object) -> None:
    """Enqueue `task` so that the current response neither waits for it nor depends on it."""
    pending = getattr(_state, "after_response", None)
    if isinstance(task.get_backend(), ImmediateBackend) and pending is not None:
        pending.append(lambda: task.enqueue(**kwargs))
        return
    task.enqueue(**kwargs)
