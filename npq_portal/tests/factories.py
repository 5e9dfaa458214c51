import time

import factory
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.contrib.auth.models import Group

from npq_portal.models import EmailDelivery, User
from npq_portal.roles import ROLE_SPECS, Role
from npq_portal.services import user_set_roles

PASSWORD = "correct-horse-battery-staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(factory.django.DjangoModelFactory):
    """A teacher with a verified email address and the password PASSWORD."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@school{n}.example")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    @factory.post_generation
    def roles(user, create, extracted, **kwargs):
        if create and extracted:
            user_set_roles(user=user, roles=extracted, by=None, reason="Test set-up")


class StaffUserFactory(UserFactory):
    """Hub staff (a hub administrator unless `roles` says otherwise) with TOTP set up."""

    roles = factory.PostGeneration(
        lambda user, create, extracted, **kwargs: (
            create
            and user_set_roles(
                user=user, roles=extracted or [Role.HUB_ADMINISTRATOR], by=None, reason="Test"
            )
        )
    )

    @factory.post_generation
    def totp(user, create, extracted, **kwargs):
        if create and extracted is not False:
            TOTP.activate(user, TOTP_SECRET)


def bulk(factory, count: int, **fields) -> list:
    """`count` unsaved rows from `factory`, saved in one INSERT; pass every foreign key
    (a sub-factory would build an unsaved row) and use factory.Iterator for one per row."""
    if count <= 0:
        return []
    model = factory._meta.model
    return model.objects.bulk_create(factory.build_batch(count, **fields), batch_size=500)


def bulk_people(count: int, *, role: Role | None = None) -> list[User]:
    """`count` people, each given `role` (its group) when one is named."""
    people = bulk(UserFactory, count)
    if role is not None:
        group = Group.objects.get(name=ROLE_SPECS[role].group_name)
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=person.pk, group_id=group.pk) for person in people
        )
    return people


# A code read in the last moments of its period may be checked by the server in the next, which
# accepts no code but the current one: a sign-in under load then failed now and then.
TOTP_TURN_MARGIN = 2  # seconds


def current_totp_code(secret: str) -> str:
    """The code an authenticator app would show now for this secret, read where it will still be
    current when the server checks it (near the end of a period, it waits for the next)."""
    left = mfa_settings.TOTP_PERIOD - time.time() % mfa_settings.TOTP_PERIOD
    if left < TOTP_TURN_MARGIN:
        time.sleep(left + 0.05)
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def user_has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class EmailDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailDelivery

    recipient = factory.Sequence(lambda n: f"recipient{n}@school.example")
    kind = "welcome"
    occasion = factory.Sequence(lambda n: f"occasion-{n}")
    subject = "Welcome to the NPQ Portal"


def sign_in(client, user: User) -> None:
    """Sign in as if through the pages: staff sessions carry the TOTP step they passed."""
    client.force_login(user)
    if user_has_totp(user):
        session = client.session
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [
            {"method": "password", "at": time.time(), "email": user.email},
            {"method": "mfa", "at": time.time(), "type": "totp"},
        ]
        session.save()
