"""The reconciliation page's disagreements drawn in Python
(dfe/templatetags/dfe_reconciliation_rows.py) are the HTML the template's loop drew, byte for
byte: one disagreement or several, a decision waiting to be sent or never sent, and names
that need escaping."""

import datetime

from django.template import Context, Template
from django.test import RequestFactory

from applications.models import Application
from dfe.models import DfeApplication
from dfe.reconcile import Disagreement, LinkedRow
from npq_portal.models import User

NOW = datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC)

# The loop the tag replaced, as it was in templates/dfe/reconciliation.html.
LOOP = """{% for row in rows %}{% with record=row.record application=row.record.application %}
    {% for found in row.open %}<tr>
      {% if forloop.first %}<th scope="row" rowspan="{{ row.open|length }}" class="fw-normal">{{ record.name_shown|default:application.applicant.get_full_name }}<div class="small text-body-secondary">{{ record.email }}</div>
        <div class="mt-1"><a href="{{ application.get_absolute_url }}">Open the application<span class="visually-hidden"> of {{ record.full_name }}</span></a></div>
        <form method="post" action="{% url 'dfe:dfe-application-unlink' record.pk %}" class="mt-1">{% csrf_token %}<input type="hidden" name="next" value="{{ request.get_full_path }}"><button type="submit" class="btn btn-link btn-sm p-0">Unlink, to link again<span class="visually-hidden"> DfE's application for {{ record.full_name }}</span></button></form>
      </th>{% endif %}
      <td>{{ found.label }}</td>
      <td>{{ found.portal }}</td>
      <td class="table-warning">{{ found.dfe }}</td>
      <td>{% if found.kind == "status" and row.decision_waiting %}The portal's decision is waiting to be sent to DfE. <a href="{% url 'dfe:outgoing-list' %}">Changes owed to DfE</a>
        {% else %}{% if found.kind == "status" and row.decision_unsent %}<p class="small mb-1">Decided in the portal before it was linked: DfE has not been told.</p>
        <form method="post" action="{% url 'dfe:dfe-application-decision-send' record.pk %}" class="mb-1">{% csrf_token %}<input type="hidden" name="next" value="{{ request.get_full_path }}"><button type="submit" class="btn btn-sm btn-primary">Send the decision to DfE<span class="visually-hidden"> for {{ record.full_name }}</span></button></form>{% endif %}
        <form method="post" action="{% url 'dfe:disagreement-acknowledge' record.pk %}">{% csrf_token %}<input type="hidden" name="next" value="{{ request.get_full_path }}"><input type="hidden" name="kind" value="{{ found.kind }}"><button type="submit" class="btn btn-sm btn-outline-secondary">Acknowledge<span class="visually-hidden"> the {{ found.label|lower }} of {{ record.full_name }}</span></button></form>{% endif %}</td>
    </tr>{% endfor %}
  {% endwith %}{% endfor %}"""  # noqa: E501


def _row(pk, *found, name="Olive O'Brien <Jr>", status="pending", portal="accepted", **extra):
    applicant = User(first_name="Olive & Co", last_name="O'Brien", email="olive@example.org")
    application = Application(pk=pk + 1000, status=portal, applicant=applicant)
    record = DfeApplication(
        pk=pk, full_name=name, email="o'brien&co@example.org", status=status, **extra
    )
    record.application = application
    return LinkedRow(record, [Disagreement(*each) for each in found])


def test_the_disagreement_rows_are_the_templates():
    waiting = _row(3, ("status", "Accepted", "Pending"), name="Waiting <b>")
    waiting.record.decision_waiting = True
    rows = [
        _row(1, ("funding", "Funded", 'Not eligible for funding: <why> & "how"')),
        _row(2, ("course", "Headship", "Senior leadership"), ("status", "Accepted", "Pending")),
        waiting,
        _row(4, ("status", "Rejected", "Pending"), portal="rejected", name=""),
        _row(5, ("school", "A (URN 1)", "URN 2"), ("cohort", "2025/26, A", "2024/25"), name="X"),
        _row(6, ("status", "Accepted", "Accepted"), status="accepted", personal_data_erased_at=NOW),
    ]
    rows[4].disagreements.append(Disagreement("funding", "Funded", "Eligible", acknowledged={}))
    context = {
        "rows": rows,
        "request": RequestFactory().get("/staff/dfe/reconciliation/", {"q": "<a&b>", "page": 2}),
        "csrf_token": "token<&>",
    }

    drawn = Template("{% load dfe_reconciliation_rows %}{% disagreement_rows rows %}").render(
        Context(context)
    )

    assert drawn == Template(LOOP).render(Context(context))
    assert drawn.count("<tr>") == 8 and "Send the decision to DfE" in drawn
    assert "waiting to be sent to DfE" in drawn and "Name removed" in drawn
