"""The sync log's rows drawn in Python (dfe/templatetags/dfe_log_rows.py) are the HTML the
template's loops drew, byte for byte, whatever each call and pull holds."""

from datetime import timedelta

import pytest
from django.template import Context, Template

from dfe.models import Call, Sync

from .test_views_log import NOW, CallFactory, connection_make, sync

pytestmark = pytest.mark.django_db

# The loops the tags replaced, as they were in templates/dfe/call_list.html.
CALL_LOOP = """{% for call in calls %}<tr>
    <td class="text-nowrap">{{ call.at|date:"j M Y, H:i:s" }}</td>
    <td>{{ call.connection.name|default:"—" }}</td>
    <td>{{ call.method }}</td>
    <td class="text-break"><code>{{ call.path }}</code>{% if call.ids %}<div class="small text-body-secondary">{{ call.ids }}</div>{% endif %}</td>
    <td class="small">{{ call.query_in_words|default:"—" }}</td>
    <td>{% if call.ok %}{{ call.result }}{% else %}<span class="text-danger fw-semibold">{{ call.result }}</span>{% endif %}</td>
    <td class="text-end text-nowrap">{{ call.duration_ms }} ms</td>
    <td class="text-end">{{ call.attempt }}</td>
    <td class="small">{{ call.error|default:"—" }}</td>
  </tr>{% endfor %}"""  # noqa: E501
SYNC_LOOP = """{% for sync in syncs %}<tr>
    <td>{{ sync.get_kind_display }}</td>
    <td>{{ sync.connection.name }}</td>
    <td>{% if sync.full %}Everything{% elif sync.updated_since %}Changes since {{ sync.updated_since|date:"j M Y, H:i" }}{% else %}Everything (first pull){% endif %}</td>
    <td class="text-nowrap">{{ sync.started_at|date:"j M Y, H:i" }}</td>
    <td class="text-nowrap">{{ sync.finished_at|date:"j M Y, H:i"|default:"—" }}</td>
    <td class="text-end">{{ sync.records }}</td>
    <td>{% if sync.succeeded %}Succeeded{% elif sync.succeeded is None %}Running{% else %}<span class="text-danger fw-semibold">Failed</span>{% endif %}</td>
    <td class="small">{{ sync.error|default:"—" }}</td>
  </tr>{% endfor %}"""  # noqa: E501


def drawn(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_the_calls_rows_are_the_templates():
    connection = connection_make(name="Ambition <Institute> & Co")
    CallFactory(connection=connection, ids="participant 1<2>", duration_ms=12345)
    CallFactory(connection=None, query="", status=422, error='DfE said "no" & <why>')
    CallFactory(connection=connection, status=None, failure="timeout", attempt=3)
    CallFactory(connection=connection, status=None, failure="", method="POST", query="x=")
    CallFactory(connection=connection, path="/api/v3/<odd>&path", status=599)
    CallFactory(connection=connection, at=NOW - timedelta(days=200))  # GMT, not BST
    calls = list(Call.objects.with_connection_name().order_by("-at", "-pk"))

    assert drawn("{% load dfe_log_rows %}{% call_rows calls %}", calls=calls) == drawn(
        CALL_LOOP, calls=calls
    )


def test_the_pulls_rows_are_the_templates():
    connection = connection_make(name="Ambition <Institute> & Co")
    sync(connection, NOW, True, records=1200, full=True)
    sync(connection, NOW - timedelta(hours=3), True, updated_since=NOW - timedelta(hours=6))
    sync(connection, NOW - timedelta(days=200), False, error="DfE <timed> out & gave up")
    sync(connection, NOW - timedelta(minutes=5), None, kind=Sync.Kind.DELIVERY_PARTNERS)
    syncs = list(Sync.objects.with_connection_name().order_by("-started_at", "-pk"))

    assert drawn("{% load dfe_log_rows %}{% sync_rows syncs %}", syncs=syncs) == drawn(
        SYNC_LOOP, syncs=syncs
    )
