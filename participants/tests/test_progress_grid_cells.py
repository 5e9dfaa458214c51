import datetime
from types import SimpleNamespace

from django.template import Context, Template

from cohorts.models import ModuleWindow, Session
from npq_portal.models import User
from participants.models import Enrolment
from participants.participation import Participation
from participants.templatetags.progress_grid import progress_cells
from programmes.models import Module

UTC = datetime.UTC


def test_each_mark_and_phase_says_the_same_as_the_template_did():
    row = SimpleNamespace(
        marks=["present", "late", "absent", "excused", ""],
        phases=[(True, False), (False, True)],
    )

    html = progress_cells(row)

    assert html == (
        '<td class="cell-present"><span aria-hidden="true">✓</span>'
        '<span class="visually-hidden">present</span></td>'
        '<td class="cell-late"><span aria-hidden="true">L</span>'
        '<span class="visually-hidden">late</span></td>'
        '<td class="cell-absent"><span aria-hidden="true">✗</span>'
        '<span class="visually-hidden">absent</span></td>'
        '<td class="cell-excused"><span aria-hidden="true">E</span>'
        '<span class="visually-hidden">excused</span></td>'
        '<td class="cell-none"></td>'
        '<td><span aria-hidden="true">S✓ <span class="text-body-secondary">A</span></span>'
        '<span class="visually-hidden">study done, application not done</span></td>'
        '<td><span aria-hidden="true"><span class="text-body-secondary">S</span> A✓</span>'
        '<span class="visually-hidden">study not done, application done</span></td>'
    )


# The template loops the tags replaced, kept here to show the tags draw the same HTML.
LOOPED_HEADS = (
    '{% for session in grid.sessions %}<th scope="col"><abbr title="{{ session.title }}, '
    '{{ session.starts_at|date:\'j F Y\' }}">{{ session.starts_at|date:"j M" }}</abbr></th>'
    '{% endfor %}\n      {% for window in grid.windows %}<th scope="col"><abbr '
    'title="{{ window.module.title }}">M{{ forloop.counter }}</abbr> <span '
    'class="visually-hidden">{{ window.module.title }}</span></th>{% endfor %}'
)
LOOPED_ROWS = """{% for row in rows %}
    <tr>
      <th scope="row"><a href="{% url 'participants:enrolment-progress-staff' row.enrolment.pk %}">{{ row.enrolment.participant }}</a>{% if row.at_risk %} <span class="badge text-bg-danger">At risk</span>{% endif %}{% if row.enrolment.status != "active" %} <span class="badge text-bg-secondary">{{ row.enrolment.get_status_display }}</span>{% endif %}</th>
      <td>{% if row.participation.so_far_percent is None %}–{% else %}{{ row.participation.so_far_percent }}%{% endif %}</td>
      <td>{{ row.participation.overall_percent|default_if_none:"–" }}%</td>
      {% progress_cells row %}
      <td>{{ row.enrolment.assessment_status|default:row.enrolment.get_assessment_result_display }}</td>
    </tr>
  {% endfor %}"""


def _participation(attended: int, due: int, total: int) -> Participation:
    return Participation(attended, due, total, 0, 0, 0, 0, missed_two_in_a_row=False)


def test_the_grids_headings_and_rows_are_the_html_the_template_loops_drew():
    sessions = [
        Session(
            title="Clinic <1> & more", starts_at=datetime.datetime(2027, 6, 30, 23, 30, tzinfo=UTC)
        ),
        Session(title="Conference", starts_at=datetime.datetime(2027, 1, 5, 9, tzinfo=UTC)),
    ]
    windows = [
        ModuleWindow(module=Module(title="Fractions & <decimals>")),
        ModuleWindow(module=Module(title="Place value")),
    ]
    grid = SimpleNamespace(sessions=sessions, windows=windows)
    people = [
        User(first_name="Ada", last_name="O'Brien <script>", email="ada@example.com"),
        User(email="ben@example.com"),
        User(first_name="Cat", last_name="Lee", email="cat@example.com"),
    ]
    places = [
        Enrolment(pk=7, participant=people[0], status="active"),
        Enrolment(pk=8, participant=people[1], status="withdrawn", assessment_result="passed"),
        Enrolment(pk=9, participant=people[2], status="deferred"),
    ]
    places[2].assessment_status = "Draft (attempt 2) & <more>"
    rows = [
        SimpleNamespace(
            enrolment=places[0],
            participation=_participation(9, 10, 12),
            at_risk=False,
            marks=["present", ""],
            phases=[(True, False), (False, False)],
        ),
        SimpleNamespace(
            enrolment=places[1],
            participation=_participation(0, 0, 0),
            at_risk=True,
            marks=["", "absent"],
            phases=[(False, True), (True, True)],
        ),
        SimpleNamespace(
            enrolment=places[2],
            participation=_participation(1, 3, 12),
            at_risk=True,
            marks=["excused", "late"],
            phases=[(False, False), (True, False)],
        ),
    ]
    context = Context({"grid": grid, "rows": rows})

    looped = Template("{% load progress_grid %}" + LOOPED_HEADS + LOOPED_ROWS).render(context)
    drawn = Template(
        "{% load progress_grid %}{% progress_grid_heads grid %}{% progress_grid_rows rows %}"
    ).render(context)

    assert drawn == looped
    assert "&lt;script&gt;" in drawn and "1 July 2027" in drawn  # 23:30 UTC is 00:30 in London
