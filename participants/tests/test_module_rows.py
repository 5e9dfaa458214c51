import datetime
from types import SimpleNamespace

from django.template import Context, Template

from cohorts.models import ModuleWindow
from participants.selectors import ModuleProgress
from programmes.models import Course, Module

# The template loop the tag replaced, kept here to show the tag draws the same HTML.
LOOPED = """{% for item in progress.modules %}
    <li class="list-group-item">
      <div class="d-flex flex-wrap justify-content-between gap-2">
        <div><strong>{{ item.window.module.title }}</strong><div class="small text-body-secondary">{{ item.window.module.course.title }} · opens {{ item.window.opens_on|date:"j M" }}, study by {{ item.window.study_due_on|date:"j M" }}, application by {{ item.window.application_due_on|date:"j M Y" }}</div></div>
        <div class="d-flex flex-wrap gap-2">
        {% if item.is_open or view.staff %}
          <form method="post">{% csrf_token %}<input type="hidden" name="module" value="{{ item.window.module_id }}"><input type="hidden" name="phase" value="study"><input type="hidden" name="done" value="{{ item.study_done|yesno:'0,1' }}"><button type="submit" class="btn btn-sm {% if item.study_done %}btn-success{% else %}btn-outline-primary{% endif %}" aria-pressed="{{ item.study_done|yesno:'true,false' }}">{% if item.study_done %}✓ Study done{% else %}Mark study done{% endif %}<span class="visually-hidden"> for {{ item.window.module.title }}</span></button></form>
          <form method="post">{% csrf_token %}<input type="hidden" name="module" value="{{ item.window.module_id }}"><input type="hidden" name="phase" value="application"><input type="hidden" name="done" value="{{ item.application_done|yesno:'0,1' }}"><button type="submit" class="btn btn-sm {% if item.application_done %}btn-success{% else %}btn-outline-primary{% endif %}" aria-pressed="{{ item.application_done|yesno:'true,false' }}">{% if item.application_done %}✓ Application done{% else %}Mark application done{% endif %}<span class="visually-hidden"> for {{ item.window.module.title }}</span></button></form>
        {% else %}
          <span class="badge text-bg-light border">Opens {{ item.window.opens_on|date:"j F" }}</span>
        {% endif %}
        </div>
      </div>
    </li>
  {% endfor %}"""


def _item(title: str, opens_on: datetime.date, study: bool, application: bool, is_open: bool):
    module = Module(pk=len(title), title=title, course=Course(title="Course <1> & more"))
    window = ModuleWindow(
        module=module,
        opens_on=opens_on,
        study_due_on=opens_on + datetime.timedelta(days=14),
        application_due_on=opens_on + datetime.timedelta(days=40),
    )
    return ModuleProgress(window, study, application, is_open)


def test_the_modules_are_the_html_the_template_loop_drew():
    modules = [
        _item("Fractions <&> decimals", datetime.date(2027, 1, 4), True, False, True),
        _item("Place value", datetime.date(2027, 2, 1), False, True, True),
        _item("Ratio", datetime.date(2027, 12, 20), False, False, False),
    ]

    for staff in (False, True):
        context = Context(
            {"progress": SimpleNamespace(modules=modules), "view": SimpleNamespace(staff=staff)}
        )
        context["csrf_token"] = "token-value"
        looped = Template("{% load module_rows %}" + LOOPED).render(context)
        drawn = Template("{% load module_rows %}{% module_rows progress.modules view.staff %}")

        assert drawn.render(context) == looped
        assert ("Opens 20 December" in looped) is not staff
    assert "✓ Study done" in looped and 'value="token-value"' in looped
