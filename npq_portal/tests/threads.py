"""Two pieces of work at once, each in its own thread with its own database connection: for
the tests of races between a writer and a reader on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def run_together(**work: Callable[[], object]) -> None:
    """Start each piece of work (named by its keyword) in a thread of its own, in the order
    given, and wait for all of them (30 seconds at most each). Each closes its connections
    when it ends."""

    def closing(target):
        def run():
            try:
                target()
            finally:
                connections.close_all()

        return run

    threads = [threading.Thread(target=closing(target), name=name) for name, target in work.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
