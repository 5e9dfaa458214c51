"""No personal data in the logs: real workflows, every record at DEBUG, searched for the
people's email addresses, names and TRN."""

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.links import approval_url
from applications.models import Application
from applications.services import (
    application_accept,
    application_save_answers,
    application_start,
    application_submit,
)
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory, SessionFactory
from mailing_list.services import subscriber_sign_up
from npq_portal.log_filters import RedactEmailAddresses
from npq_portal.tests.factories import StaffUserFactory, sign_in
from programmes.tests.factories import ProgrammeFactory
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

TEACHER = {"first_name": "Perpetua", "last_name": "Quillfeather", "email": "perpetua@q.example"}
SUBSCRIBER = {"first_name": "Ottoline", "last_name": "Vanstone", "email": "otto@v.example"}
HEAD = {"name": "Bartholomew Ingleby", "email": "b.ingleby@school.example"}
TRN = "3141592"
SECRETS = [
    *TEACHER.values(),
    *SUBSCRIBER.values(),
    *HEAD.values(),
    TRN,
    "Perpetua@Q.example",
]


def test_no_workflow_logs_an_email_address_a_name_or_a_trn(
    client, caplog, django_capture_on_commit_callbacks, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    programme = ProgrammeFactory(course_identifier="npq-headship", short_name="NPQH")
    cohort = CohortFactory(programme=programme, status=Cohort.Status.OPEN)
    school = SchoolFactory()
    admin = StaffUserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        # Sign-up, then the emailed confirmation link.
        client.post(
            reverse("account_signup"),
            {**TEACHER, "password1": "a-long-pass-phrase-9", "password2": "a-long-pass-phrase-9"},
        )
        # The mailing list, anonymously.
        client.post(
            reverse("mailing_list:subscribe"),
            {**SUBSCRIBER, "programmes": [programme.pk], "consent": "on"},
        )
    from npq_portal.models import User

    teacher = User.objects.get(email=TEACHER["email"])
    with django_capture_on_commit_callbacks(execute=True):
        # An application through to the headteacher's approval (from their link) and a place.
        application = application_start(applicant=teacher, cohort=cohort)
        application_save_answers(
            application=application,
            answers={
                "works_in_england": "yes",
                "work_setting": "a_school",
                "school_urn": str(school.urn),
                "role": "Head of maths",
                "trn": TRN,
                "headteacher_name": HEAD["name"],
                "headteacher_email": HEAD["email"],
                "payment": "school",
            },
        )
        application = application_submit(application=application, by=teacher)
        client.logout()
        client.post(
            approval_url(application).split("://", 1)[1].split("/", 1)[1].join(["/", ""]),
            {"decision": "approve", "name": HEAD["name"], "comment": ""},
        )
        application.refresh_from_db()
        assert application.status == Application.Status.SCHOOL_APPROVED
        enrolment = application_accept(application=application, by=admin)

    # An email that fails: the mail server drops the connection.
    from smtplib import SMTPRecipientsRefused

    from django.core.mail import EmailMultiAlternatives

    def refuse(self, fail_silently=False):
        raise SMTPRecipientsRefused(
            {addr: (550, b"No such user " + addr.encode()) for addr in self.to}
        )

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    # The task fails and waits in the outbox for the sweep; the outbox logs that it waits.
    with django_capture_on_commit_callbacks(execute=True):
        subscriber_sign_up(
            email="otto2@v.example", first_name="Ottoline", last_name="Vanstone", programmes=[]
        )
    SECRETS.append("otto2@v.example")

    # An import with a bad row naming someone.
    session = SessionFactory(cohort=cohort)
    sign_in(client, admin)
    upload = SimpleUploadedFile(
        "attendance.csv",
        f"Name,Email\n{TEACHER['first_name']} {TEACHER['last_name']},{TEACHER['email']}\n"
        f"{HEAD['name']},not an address {HEAD['email']}x\n".encode(),
        content_type="text/csv",
    )
    client.post(reverse("participants:register-import", args=[session.pk]), {"file": upload})

    assert enrolment.pk and caplog.records  # the workflows ran and logged something
    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    ).lower()
    leaked = [secret for secret in SECRETS if secret.lower() in logged]
    assert not leaked, leaked


def test_the_safety_net_redacts_email_addresses_from_message_arguments_and_tracebacks():
    record = logging.LogRecord(
        "x", logging.WARNING, __file__, 1, "Could not send to %s", ("jo@school.example",), None
    )
    try:
        raise ValueError("refused: jo@school.example")
    except ValueError:
        import sys

        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "Failed", (), sys.exc_info())

    assert RedactEmailAddresses().filter(record) and RedactEmailAddresses().filter(failed)

    assert record.getMessage() == "Could not send to [email redacted]"
    assert "jo@school.example" not in failed.exc_text and "[email redacted]" in failed.exc_text


def test_the_console_handler_redacts_email_addresses(settings):
    handler = settings.LOGGING["handlers"]["console"]

    assert "redact_emails" in handler["filters"]
    assert logging.getLogger().handlers  # configured from LOGGING
    assert any(
        isinstance(f, RedactEmailAddresses) for h in logging.getLogger().handlers for f in h.filters
    )


def test_a_celery_workers_own_log_handlers_get_the_safety_net_too():
    from celery.signals import after_setup_logger

    worker_logger = logging.getLogger("test.worker")
    handler = logging.StreamHandler()
    worker_logger.addHandler(handler)
    try:
        after_setup_logger.send(sender=None, logger=worker_logger, loglevel=logging.INFO)

        assert any(isinstance(f, RedactEmailAddresses) for f in handler.filters)
    finally:
        worker_logger.removeHandler(handler)
