"""The rows of "Changes owed to DfE" drawn in Python (dfe/templatetags/dfe_outgoing_rows.py)
are the HTML the template's loop drew, byte for byte, on each tab and for each way a change
says whose it is: a linked application, DfE's application alone, a declaration with or
without its place (and the place with or without its application), or nothing."""

import datetime

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from applications.models import Application
from cohorts.models import Cohort
from dfe.models import Connection, Declaration, DfeApplication, Outgoing
from npq_portal.models import User
from participants.models import Enrolment
from programmes.models import Programme

NOW = datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC)
SUMMER = datetime.datetime(2026, 7, 1, 23, 30, tzinfo=datetime.UTC)  # BST: the next day

# The loop the tag replaced, as it was in templates/dfe/outgoing_list.html.
LOOP = """{% for outgoing in object_list %}{% with application=outgoing.dfe_application.application %}
    <tr>
      <th scope="row" class="fw-normal">{{ outgoing.get_kind_display }}</th>
      <td>{% if application %}<a href="{{ application.get_absolute_url }}">{{ application.applicant.get_full_name|default:application.applicant.email }}</a><div class="small text-body-secondary">{{ application.cohort.programme.short_name }} {{ application.cohort.academic_year_label }}</div>{% elif outgoing.dfe_application %}{{ outgoing.dfe_application.full_name|default:"Not named by DfE" }}{% elif outgoing.declaration %}{% with declaration=outgoing.declaration place=outgoing.declaration.enrolment %}{% if place %}{% if place.application %}<a href="{{ place.application.get_absolute_url }}">{{ place.participant.get_full_name|default:place.participant.email }}</a>{% else %}{{ place.participant.get_full_name|default:place.participant.email }}{% endif %}{% else %}{{ declaration.dfe_application.full_name|default:"Not named by DfE" }}{% endif %}<div class="small text-body-secondary">{{ outgoing.declaration_label }} declaration{% if place %}, {{ place.cohort.programme.short_name }} {{ place.cohort.academic_year_label }}{% endif %}</div>{% endwith %}{% else %}–{% endif %}</td>
      <td>{{ outgoing.connection.name }}</td>
      <td>{{ outgoing.created_at|date:"j M Y H:i" }}{% if outgoing.by %}<div class="small text-body-secondary">by {{ outgoing.by.get_full_name|default:outgoing.by.email }}</div>{% endif %}</td>
      <td class="text-end">{{ outgoing.attempts }}</td>
      <td>{{ outgoing.get_state_display }}{% if outgoing.last_error %}<div class="small">{{ outgoing.last_error }}</div>{% endif %}{% if outgoing.note %}<div class="small text-body-secondary">{{ outgoing.note }}</div>{% endif %}</td>
      <td>{% if outgoing.state == "waiting" %}{% if outgoing.next_try %}{{ outgoing.next_try|date:"j M Y H:i" }}{% else %}Now{% endif %}{% else %}{{ outgoing.sent_at|date:"j M Y H:i"|default:"–" }}{% endif %}</td>
      {% if show != "sent" %}<td>{% if outgoing.state == "waiting" or outgoing.state == "refused" %}
        <form method="post" action="{% url 'dfe:outgoing-send-again' outgoing.pk %}">{% csrf_token %}<input type="hidden" name="next" value="{{ request.get_full_path }}">
          <button type="submit" class="btn btn-sm btn-outline-primary">Send again<span class="visually-hidden">: {{ outgoing.get_kind_display|lower }}{% if application %} for {{ application.applicant.get_full_name }}{% elif outgoing.declaration.enrolment %} for {{ outgoing.declaration.enrolment.participant.get_full_name }}{% endif %}</span></button>
        </form>{% else %}–{% endif %}</td>{% endif %}
    </tr>
  {% endwith %}{% endfor %}"""  # noqa: E501


def _person(first="Olive & Co", last="O'Brien <Jr>", email="olive@example.org") -> User:
    return User(first_name=first, last_name=last, email=email)


def _cohort() -> Cohort:
    programme = Programme(short_name="NPQ<SL>", name="Senior leadership")
    return Cohort(programme=programme, academic_year=2025, name="Autumn")


def _application(pk, **person) -> Application:
    return Application(pk=pk, applicant=_person(**person), cohort=_cohort())


def _outgoing(pk, state="waiting", **fields) -> Outgoing:
    fields = {
        "kind": Outgoing.Kind.ACCEPT,
        "connection": Connection(name="Ambition <Institute>"),
        "created_at": NOW,
        "attempts": 0,
    } | fields
    return Outgoing(pk=pk, state=state, **fields)


def _declaration(place=None, full_name="") -> Declaration:
    return Declaration(
        declaration_type="started",
        enrolment=place,
        dfe_application=DfeApplication(full_name=full_name),
    )


def _rows() -> list[Outgoing]:
    linked = DfeApplication(full_name="Olive", application=_application(11))
    tried = _outgoing(2, attempts=3, last_error='DfE said <no> & "why"', note="A note")
    tried.dfe_application = linked
    tried.next_try = SUMMER
    unnamed = _outgoing(3, state="refused", by=_person(first="", last="", email="a&b@x.org"))
    unnamed.dfe_application = DfeApplication(full_name="")
    placed = Enrolment(participant=_person(first="Pat"), cohort=_cohort())
    placed.application = _application(12)
    unplaced = Enrolment(participant=_person(first="", last="", email="p@x.org"), cohort=_cohort())
    rows = [
        _outgoing(1, dfe_application=linked, by=_person(first="Sam", last="Staff")),
        tried,
        unnamed,
        _outgoing(4, kind=Outgoing.Kind.DECLARATION, declaration=_declaration(placed)),
        _outgoing(5, state="refused", kind="void", declaration=_declaration(unplaced)),
        _outgoing(6, state="sent", sent_at=SUMMER, declaration=_declaration(None, "D <d>")),
        _outgoing(7, state="for_staff", declaration=_declaration(None)),
        _outgoing(8, state="not_needed"),
        _outgoing(9, state="refused", dfe_application=DfeApplication(full_name="Dee")),
    ]
    for outgoing in rows:
        if outgoing.declaration is not None:
            outgoing.declaration_label = "Started <1>"
    return rows


@pytest.mark.parametrize("show", ["waiting", "attention", "sent"])
def test_the_changes_rows_are_the_templates(show):
    context = {
        "object_list": _rows(),
        "show": show,
        "request": RequestFactory().get("/staff/dfe/outgoing/", {"show": show, "q": "<a&b>"}),
        "csrf_token": "token<&>",
    }

    drawn = Template("{% load dfe_outgoing_rows %}{% outgoing_rows object_list show %}").render(
        Context(context)
    )

    assert drawn == Template(LOOP).render(Context(context))
    assert drawn.count("<tr>") == 9
