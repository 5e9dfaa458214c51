import weakref

import pytest
from django import forms
from django.template import TemplateDoesNotExist, engines
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.generic import TemplateView

from npq_portal.roles import Role

from .factories import StaffUserFactory, sign_in

pytestmark = pytest.mark.django_db


class Row:
    """Something a page shows, to watch when it is freed."""

    def __init__(self, name: str):
        self.name = name


def test_what_a_page_drew_is_freed_as_soon_as_it_is_drawn(rf, no_cycle_collector):
    request = rf.get("/")
    row = Row("Oak & Ash")
    watched = weakref.ref(row)

    html = render_to_string("includes/_messages.html", {"row": row, "rows": [row]}, request)
    engines["django"].from_string("{{ row.name }}").render({"row": row}, request)
    del row

    assert watched() is None  # freed by reference counting: no cycle held it
    assert html is not None


def test_a_page_draws_as_before_and_the_test_client_still_sees_its_context(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    response = client.get(reverse("reports:dashboard"))

    assert response.status_code == 200
    assert response.context["nav_items"]  # the copies the test client keeps are untouched
    assert "Dashboard" in response.content.decode()


def test_a_missing_template_is_still_named_as_missing():
    with pytest.raises(TemplateDoesNotExist, match="nowhere.html"):
        render_to_string("nowhere.html", {}, RequestFactory().get("/"))


def test_a_pages_view_is_let_go_of_once_its_page_is_drawn(rf, no_cycle_collector):
    request = rf.get("/")
    view = TemplateView.as_view(template_name="includes/_messages.html")

    response = view(request).render()
    watched = weakref.ref(response.context_data["view"])
    del response

    assert watched() is None  # Django's View.setup() made it refer to itself (head = get)


def test_a_context_value_named_view_that_is_no_view_is_left_alone(rf):
    html = engines["django"].from_string("{{ view }}").render({"view": "a string"}, rf.get("/"))

    assert html == "a string"


class _Form(forms.Form):
    name = forms.CharField()


def test_a_drawn_form_and_its_fields_are_freed_as_soon_as_the_page_is_drawn(rf, no_cycle_collector):
    form = _Form({"name": "Oak & Ash"})
    field = form["name"]  # kept by the form, and referring back to it
    watched = [weakref.ref(form), weakref.ref(field)]
    del field

    html = engines["django"].from_string("{{ form.name }}").render({"form": form}, rf.get("/"))
    del form

    assert [ref() for ref in watched] == [None, None]
    assert 'value="Oak &amp; Ash"' in html


def test_a_lazy_value_the_page_did_not_draw_is_left_unread(rf):
    read = []
    lazy = SimpleLazyObject(lambda: read.append("read") or "figures")

    html = engines["django"].from_string("drawn").render({"figures": lazy}, rf.get("/"))

    assert html == "drawn" and read == []  # letting the page go did not ask what it is
