from django.template import Context, Template

from npq_portal.models import User
from participants.forms import RegisterForm
from participants.models import Enrolment

# The template loop the tag replaced, kept here to show the tag draws the same HTML.
LOOPED = """{% load register_marks %}{% for enrolment, field, recorded in form.rows %}
    <li class="list-group-item register-row">
      <fieldset{% if field.errors %} aria-describedby="{{ field.auto_id }}-error"{% endif %}>
        <legend class="register-name">{{ field.label }}{% if enrolment.status != "active" %} <span class="badge text-bg-secondary">{{ enrolment.get_status_display }}</span>{% endif %}</legend>
        {% if field.errors %}<div class="invalid-feedback d-block" id="{{ field.auto_id }}-error">{{ field.errors|join:" " }}</div>{% endif %}
        <div class="btn-group register-marks" role="group">
        {% register_marks field %}
        </div>
      </fieldset>
    </li>
  {% endfor %}"""


def test_the_registers_rows_are_the_html_the_template_loop_drew():
    places = [
        Enrolment(pk=3, participant=User(first_name="Ada", last_name="<O'Brien>"), status="active"),
        Enrolment(pk=4, participant=User(email="ben@example.com"), status="withdrawn"),
    ]
    forms = [
        RegisterForm(enrolments=places, recorded={4: "excused"}),
        RegisterForm({"mark-3": "late", "mark-4": "<asleep>"}, enrolments=places, recorded={}),
    ]

    for form in forms:
        context = Context({"form": form})
        looped = Template(LOOPED).render(context)
        drawn = Template("{% load register_marks %}{% register_rows form.rows %}").render(context)

        assert drawn == looped
    assert 'aria-describedby="id_mark-4-error"' in drawn and "&lt;asleep&gt;" in drawn
