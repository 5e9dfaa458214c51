import weakref
from types import SimpleNamespace

from django.template import engines

from participants.forms import RegisterForm


def _place(pk: int, first_name: str, email: str):
    person = SimpleNamespace(get_full_name=lambda: first_name, email=email)
    return SimpleNamespace(pk=pk, participant=person)


def test_each_person_on_a_register_has_their_own_name_mark_and_error():
    places = [_place(1, "Ada Lovelace", "ada@example.com"), _place(2, "", "ben@example.com")]

    unbound = RegisterForm(enrolments=places, recorded={2: "late"})
    bound = RegisterForm({"mark-1": "absent", "mark-2": "asleep"}, enrolments=places, recorded={})

    assert [(field.label, field.value()) for _, field, _ in unbound.rows] == [
        ("Ada Lovelace", "present"),
        ("ben@example.com", "late"),
    ]
    assert not bound.is_valid()
    assert list(bound.errors) == ["mark-2"]
    assert "asleep is not one of the available choices" in bound.errors["mark-2"][0]
    assert bound["mark-1"].value() == "absent"


def test_a_drawn_register_is_freed_as_soon_as_its_page_is_drawn(rf, no_cycle_collector):
    places = [_place(1, "Ada Lovelace", "ada@example.com"), _place(2, "", "ben@example.com")]
    form = RegisterForm(enrolments=places, recorded={2: "late"})
    watched = weakref.ref(form)
    template = "{% for place, field, mark in form.rows %}{{ field }}{% endfor %}"

    html = engines["django"].from_string(template).render({"form": form}, rf.get("/"))
    del form

    assert watched() is None  # its rows' fields, which refer back to it, are not kept on it
    assert html.count('type="radio"') == 2 * 4
