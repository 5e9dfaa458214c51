import pytest

from .helpers import teacher_with_history


@pytest.fixture
def history(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return teacher_with_history()
