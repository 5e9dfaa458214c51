import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npq_portal.settings")

# As django.core.wsgi.get_wsgi_application(), with the portal's handler; the collector is set
# once everything is loaded (npq_portal/server.py).
django.setup(set_prefix=False)

from npq_portal.server import PortalWSGIHandler, collector_tune  # noqa: E402

application = PortalWSGIHandler()
collector_tune()
