import datetime

import pytest
import time_machine

from cohorts.models import Session

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        (datetime.datetime(2027, 5, 31, 22, 59, tzinfo=UTC), False),  # 23:59 the day before
        (datetime.datetime(2027, 5, 31, 23, 0, tzinfo=UTC), True),  # midnight in London
        (datetime.datetime(2027, 6, 8, 12, tzinfo=UTC), True),  # a week later, still open
    ],
)
def test_a_register_opens_on_the_day_of_the_session_in_london(now, is_open):
    # 00:30 on 1 June in London (BST) is still 31 May in UTC.
    session = Session(starts_at=datetime.datetime(2027, 5, 31, 23, 30, tzinfo=UTC))

    with time_machine.travel(now):
        assert session.register_is_open is is_open
