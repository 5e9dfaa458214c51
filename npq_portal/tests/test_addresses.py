from django.urls import reverse

from npq_portal.addresses import row_address


def test_a_row_address_is_the_one_reverse_gives_for_each_id():
    detail = row_address("applications:application-detail")

    for pk in (1, 42, 2147483646, 2147483647):
        assert detail(pk) == reverse("applications:application-detail", args=[pk])
    assert detail("7") == reverse("applications:application-detail", args=[7])
