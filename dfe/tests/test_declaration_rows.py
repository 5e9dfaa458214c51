"""The rows of "Declarations to DfE"'s Ready tab drawn in Python
(dfe/templatetags/dfe_declaration_rows.py) are the HTML the template's loop drew, byte for
byte: ready and blocked (for each reason), with and without a delivery partner, passed, not
passed and not assessed, and with text that must be escaped."""

import datetime

import pytest
from django.template import Context, Template

from cohorts.models import Cohort
from dfe.declarations import BLOCKED_COURSE, BLOCKED_NO_PARTNER, ReadyDeclaration
from dfe.models import DeliveryPartnerLink, DfeApplication
from npq_portal.models import User
from participants.models import Enrolment
from programmes.models import Programme

WINTER = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)
SUMMER = datetime.datetime(2026, 7, 1, 23, 30, tzinfo=datetime.UTC)  # BST: the next day

# The loop the tag replaced, as it was in templates/dfe/declaration_list.html.
LOOP = """  {% for row in page_obj.object_list %}
    <tr>
      <td>{% if row.ready %}<input type="checkbox" class="form-check-input" name="selected" value="{{ row.key }}" id="choose-{{ row.key|slugify }}"><label class="visually-hidden" for="choose-{{ row.key|slugify }}">Send the {{ row.type_label|lower }} declaration for {{ row.enrolment.participant }}</label>{% endif %}</td>
      <th scope="row" class="fw-normal">{{ row.enrolment.participant }}</th>
      <td>{{ row.enrolment.cohort }}</td>
      <td>{{ row.course_label }}</td>
      <td>{{ row.type_label }}</td>
      <td>{{ row.declaration_date|date:"j M Y" }}</td>
      <td>{% if row.has_passed is None %}–{% elif row.has_passed %}Passed{% else %}Not passed{% endif %}</td>
      <td>{% if row.blocked %}<strong>{{ row.blocked|capfirst }}</strong>{% elif row.delivery_partner %}{{ row.delivery_partner.name }}{% else %}<span class="text-body-secondary">None (outside DfE's catchment)</span>{% endif %}</td>
    </tr>
  {% endfor %}
"""  # noqa: E501


def _place(pk, first="Olive & Co", last="O'Brien <Jr>", email="olive@example.org") -> Enrolment:
    programme = Programme(short_name="NPQ<SL>", name="Senior leadership")
    cohort = Cohort(programme=programme, academic_year=2025, name='Autumn "A" & B')
    participant = User(first_name=first, last_name=last, email=email)
    return Enrolment(pk=pk, participant=participant, cohort=cohort)


def _row(pk, declaration_type="started", **fields) -> ReadyDeclaration:
    fields = {
        "declaration_date": WINTER,
        "course_identifier": "npq-senior-leadership",
        "has_passed": None,
        "delivery_partner": DeliveryPartnerLink(name="Partners <& Co>"),
        "course_label": "NPQ in Senior Leadership <SL>",
    } | fields
    return ReadyDeclaration(
        enrolment=_place(pk, **fields.pop("person", {})),
        dfe_application=DfeApplication(),
        declaration_type=declaration_type,
        **fields,
    )


def _rows() -> list[ReadyDeclaration]:
    return [
        _row(1),
        _row(2, "retained-1", declaration_date=SUMMER, has_passed=True),
        _row(3, "completed", has_passed=False, delivery_partner=None),
        _row(4, blocked=BLOCKED_NO_PARTNER, delivery_partner=None),
        _row(5, "retained-2", blocked=BLOCKED_COURSE, person={"first": "", "last": ""}),
        _row(6, "an_unknown_type", course_label=""),
    ]


@pytest.mark.parametrize("rows", [_rows(), []], ids=["rows", "none"])
def test_the_rows_are_the_html_the_template_drew(settings, rows):
    settings.TIME_ZONE = "Europe/London"
    context = Context({"rows": rows})
    drawn = Template(LOOP.replace("page_obj.object_list", "rows")).render(context)
    by_tag = Template(
        "{% load dfe_declaration_rows %}  {% ready_declaration_rows rows %}\n"
    ).render(context)
    assert by_tag == drawn
    if rows:
        assert "&lt;Jr&gt;" in by_tag and "Not passed" in by_tag and "catchment" in by_tag
