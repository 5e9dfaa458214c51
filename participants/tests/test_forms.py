from types import SimpleNamespace

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
