"""How the portal runs under a WSGI server (npq_portal/wsgi.py): each request let go of once
its response is sent, and Python's cycle collector set for a web process.

Python frees most objects by reference counting, at once; objects that refer to each other in
a cycle wait for the cycle collector. Every Django request is such a cycle (the lazy
`request.user` and `request.auser` refer back to the request, and so do the message storage
and others), and it holds the session, the person, the URL match with every pattern it tried,
and whatever a page kept on them. Under load the collector ran a few times a page and, every
few hundred pages, went through every object of the process (tens of milliseconds each time):
together, a tenth of a page's time (docs/performance.md). So:

- `PortalWSGIRequest.close()`, which the handler calls when the server has sent the response
  and closes it, empties the request, breaking its cycles: reference counting frees it.
- `collector_tune()`, run once the application is loaded, moves everything made while loading
  (modules, models, URL patterns, settings) out of the collector's sight (`gc.freeze()`): a
  full collection then goes through what requests made, not the whole process; and it lets the
  youngest generation grow to 20,000 objects before collecting (from 700): a page's own
  objects, freed when it is done, are then rarely gone through at all. The cycles left (a few
  hundred objects a page at most) are still collected.
"""

from __future__ import annotations

import gc

from django.core.handlers.wsgi import WSGIHandler, WSGIRequest

# Objects made (less those freed) before the youngest generation is collected, then how many
# such collections before the next generation's, and so on (Python's defaults: 700, 10, 10).
COLLECTOR_THRESHOLDS = (20_000, 20, 20)


class PortalWSGIRequest(WSGIRequest):
    """Django's request, emptied once its response is closed."""

    def close(self):
        super().close()
        # The server has sent the response and is done with the request: nothing reads it
        # now (the test client, which reads requests after their responses, makes its own).
        self.__dict__.clear()


class PortalWSGIHandler(WSGIHandler):
    """Django's WSGI handler, making PortalWSGIRequest requests."""

    request_class = PortalWSGIRequest


def collector_tune() -> None:
    """Set the cycle collector for a web process whose application is loaded (see above)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
