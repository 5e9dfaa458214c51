import pytest

from npq_portal.models import EmailDelivery
from npq_portal.tasks import user_send_welcome_task

from .factories import UserFactory


@pytest.mark.django_db
def test_welcome_task_run_twice_sends_once(mailoutbox):
    user = UserFactory()

    user_send_welcome_task.delay(user.pk)
    user_send_welcome_task.delay(user.pk)

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]


@pytest.mark.django_db
def test_welcome_task_for_a_removed_user_does_nothing(mailoutbox):
    user_send_welcome_task.delay(987654)

    assert mailoutbox == []
    assert not EmailDelivery.objects.exists()


def test_a_real_worker_on_redis_sends_the_welcome_email_once(celery_worker, mailoutbox):
    from npq_portal.celery import app

    assert not app.conf.task_always_eager
    user = UserFactory()

    first = user_send_welcome_task.apply_async([user.pk], ignore_result=False)
    second = user_send_welcome_task.apply_async([user.pk], ignore_result=False)
    first.get(timeout=30)
    second.get(timeout=30)

    assert len(mailoutbox) == 1
    delivery = EmailDelivery.objects.get(recipient=user.email, kind="welcome")
    assert delivery.status == EmailDelivery.Status.SENT


@pytest.mark.django_db
def test_a_failing_email_is_logged_as_failed_and_retried_with_backoff(mailoutbox, mail_server_down):
    from celery.exceptions import Retry

    user = UserFactory()

    with pytest.raises(Retry, match="Retry in"):
        user_send_welcome_task.delay(user.pk)

    delivery = EmailDelivery.objects.get(recipient=user.email, kind="welcome")
    assert delivery.status == EmailDelivery.Status.FAILED
    assert delivery.attempts == 1
    assert "Connection unexpectedly closed" in delivery.last_error
    assert user_send_welcome_task.max_retries == 5
    assert mailoutbox == []
