import datetime
from types import SimpleNamespace

from django.template import Context, Template

from cohorts.models import Session
from npq_portal.models import User
from participants.models import Enrolment, SchoolPlace
from participants.selectors import MemberRow, SchoolPlaceCompletion, SchoolRow
from programmes.models import RoleSlot
from schools.models import School

UTC = datetime.UTC

# The template loops the tags replaced, kept here to show the tags draw the same HTML.
LOOPED_SCHOOL_ROWS = """{% for school in grid.schools %}{% with place=school.place %}
      <tr>
        <th scope="row"><a href="{{ place.get_absolute_url }}">{{ place.school.name }}</a></th>
        <td>{{ place.school.urn }}</td>
        <td>{{ place.school.la_name|default:"–" }}</td>
        <td><ul class="list-unstyled mb-0 small">{% for member in school.members %}<li>{{ member.enrolment.role_slot.label|default:"Team member" }}: {{ member.enrolment.participant.get_full_name|default:member.enrolment.participant.email }} <span class="text-body-secondary">({{ member.enrolment.participant.email }}, {{ member.enrolment.get_status_display|lower }})</span></li>{% endfor %}</ul></td>
        <td>{{ place.get_status_display }}{% if place.completed_on %}<div class="small text-body-secondary">{{ place.completed_on|date:"j M Y" }}</div>{% elif place.withdrawn_on %}<div class="small text-body-secondary">{{ place.withdrawn_on|date:"j M Y" }}</div>{% endif %}</td>
        <td>{{ place.has_action_plan|yesno:"In,Not yet" }}</td>
        <td>{{ place.has_evaluation|yesno:"In,Not yet" }}</td>
        <td>{% if place.status == "completed" %}Completed{% elif school.completion.met %}Rule met{% else %}<span class="small">{{ school.completion.reasons|join:" " }}</span>{% endif %}</td>
      </tr>
    {% endwith %}{% endfor %}"""
LOOPED_MISSED = """{% for school, member in grid.missed %}
    <li class="list-group-item"><strong>{{ member.enrolment.participant.get_full_name|default:member.enrolment.participant.email }}</strong> <span class="small text-body-secondary">{{ school.place.school.name }}{% if member.enrolment.role_slot %}, {{ member.enrolment.role_slot.label }}{% endif %}</span>
      <div class="small">Missed {{ member.missed|length }}: {% for session in member.missed %}{{ session.title }} ({{ session.starts_at|date:"j M" }}){% if not forloop.last %}, {% endif %}{% endfor %}</div></li>
  {% endfor %}"""
LOOPED_HEADS = """{% for session in grid.sessions %}<th scope="col"><abbr title="{{ session.title }}, {{ session.starts_at|date:'j F Y' }}">{{ session.starts_at|date:"j M" }}</abbr><span class="visually-hidden"> {{ session.title }}</span></th>{% endfor %}"""
LOOPED_BODIES = """{% for school in schools %}
  <tbody>
    <tr class="table-light">
      <th scope="rowgroup" colspan="{{ grid.sessions|length|add:3 }}">{% if link_schools %}<a href="{{ school.place.get_absolute_url }}">{{ school.place.school.name }}</a>{% else %}{{ school.place.school.name }}{% endif %} <span class="small text-body-secondary">URN {{ school.place.school.urn }}</span>{% if school.place.status != "active" %} <span class="badge text-bg-secondary">{{ school.place.get_status_display }}</span>{% endif %}</th>
    </tr>
    {% for member in school.members %}
    <tr>
      <th scope="row" class="fw-normal">{{ member.enrolment.participant.get_full_name|default:member.enrolment.participant.email }}{% if member.enrolment.status != "active" %} <span class="badge text-bg-secondary">{{ member.enrolment.get_status_display }}</span>{% endif %}</th>
      <td>{{ member.enrolment.role_slot.label|default:"–" }}</td>
      <td>{{ member.attended }}</td>
      {% word_cells member.marks %}
    </tr>
    {% empty %}
    <tr><td colspan="{{ grid.sessions|length|add:3 }}">No one named.</td></tr>
    {% endfor %}
  </tbody>
  {% endfor %}"""


def _work_group():
    sessions = [
        Session(
            title="Launch <day> & lunch", starts_at=datetime.datetime(2027, 6, 30, 23, tzinfo=UTC)
        ),
        Session(title="Workshop 2", starts_at=datetime.datetime(2027, 1, 5, 9, tzinfo=UTC)),
    ]
    lead = RoleSlot(label="Lead <teacher>", kind=RoleSlot.Kind.LEAD)
    people = [
        Enrolment(participant=User(first_name="Ada", last_name="O'Brien", email="a@example.com")),
        Enrolment(participant=User(email="ben&co@example.com"), role_slot=lead, status="withdrawn"),
        Enrolment(participant=User(first_name="Cat", email="c@example.com"), role_slot=lead),
    ]
    places = [
        SchoolPlace(
            pk=11,
            school=School(name="St Mary's <C of E>", urn=100234, la_name=""),
            action_plan="Our plan",
        ),
        SchoolPlace(
            pk=12,
            school=School(name="Hill & Dale", urn=100235, la_name="Kent"),
            status="completed",
            completed_on=datetime.date(2027, 7, 1),
            evaluation_practice="Changed",
        ),
        SchoolPlace(
            pk=13,
            school=School(name="Brook", urn=100236, la_name="Leeds"),
            status="withdrawn",
            withdrawn_on=datetime.date(2027, 3, 2),
        ),
    ]
    first = [
        MemberRow(people[0], ["Present", "Not marked"], [sessions[1]], 1),
        MemberRow(people[1], ["", "Absent"], sessions, 0),
    ]
    third = [MemberRow(people[2], ["Late", ""], [], 1)]
    schools = [
        SchoolRow(places[0], first, SchoolPlaceCompletion(False, ("No <lead>.", "No plan."))),
        SchoolRow(places[1], [], SchoolPlaceCompletion(True, ())),
        SchoolRow(places[2], third, SchoolPlaceCompletion(True, ())),
    ]
    missed = [(schools[0], first[0]), (schools[0], first[1])]
    return SimpleNamespace(sessions=sessions, schools=schools, missed=missed)


def test_the_work_group_tables_are_the_html_the_template_loops_drew():
    grid = _work_group()

    for link_schools in (True, False):
        context = Context({"grid": grid, "schools": grid.schools, "link_schools": link_schools})
        looped = Template(
            "{% load progress_grid %}"
            + LOOPED_SCHOOL_ROWS
            + LOOPED_MISSED
            + LOOPED_HEADS
            + LOOPED_BODIES
        ).render(context)
        drawn = Template(
            "{% load work_group_tables %}{% work_group_school_rows grid.schools %}"
            "{% work_group_missed grid.missed %}{% work_group_session_heads grid.sessions %}"
            "{% work_group_grid_bodies grid schools link_schools %}"
        ).render(context)

        assert drawn == looped
    assert "&lt;teacher&gt;" in drawn and "No one named." in drawn and "1 July 2027" in drawn
