"""The row tags' escape() writes what Django's does."""

import django.utils.html
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe
from hypothesis import example, given
from hypothesis import strategies as st

from npq_portal.escaping import escape


@given(st.text())
@example("<script>alert('x') & \"y\"</script>")
@example("already &amp; escaped")
def test_the_text_is_escaped_as_django_escapes_it(text):
    assert escape(text) == django.utils.html.escape(text)


def test_safe_lazy_and_other_values_are_escaped_as_django_escapes_them():
    shown = lazy(lambda: "Tom & Jerry's <b>", str)()
    for value in (mark_safe("<b>bold</b>"), shown, 12, None, 3.5, SafeString("&")):
        assert escape(value) == django.utils.html.escape(value)
    # Plain text: whatever is built with it is marked safe as a whole, once.
    assert type(escape("a & b")) is str
