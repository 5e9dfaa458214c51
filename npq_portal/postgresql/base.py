"""Django's PostgreSQL backend, with a health check that asks the server nothing when it can.

With `CONN_HEALTH_CHECKS` (STACK.md: connections are kept, so each must be checked before a
request uses it), Django sends `SELECT 1` before every request's first query: a round trip on
every page. A server that ended the connection (restarted, or the backend terminated) has
closed its socket, and says why before it does, so the socket reads as ready while the
connection sits idle between requests. Here the socket is looked at first: quiet, the
connection is used as it is; ready, Django's own `SELECT 1` check decides, as before.
"""

import select

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper


class DatabaseWrapper(PostgresWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is None
            or not self.health_check_enabled
            or self.health_check_done
            or self.pool
        ):
            return super().close_if_health_check_failed()
        if self.connection.closed or self._socket_has_news():
            if not self.is_usable():
                self.close()
        self.health_check_done = True

    def _socket_has_news(self) -> bool:
        """True when the server sent something to an idle connection, or closed it: an idle
        connection in autocommit, with nothing listened for, is sent nothing else."""
        try:
            ready, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(ready)
