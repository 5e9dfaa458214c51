"""DfE's side of an application, for the application's staff page (which may not import dfe).

    {% load dfe_outgoing_tags %}{% dfe_application_state application %}

Shows staff who exchange with DfE the linked DfE application (its id, DfE's status, the funded
place, DfE's funding eligibility) and any change still owed to DfE or refused by it: two
queries at most, whatever the application (the second only when a change is owed; one more
to see whether DfE covers an unlinked one's cohort; nothing is shown when it does not).
"""

from django import template
from django.db.models import Exists, OuterRef

from npq_portal.prepared import fixed_objects

from ..connection import connection_for_cohort
from ..models import DfeApplication, Outgoing

register = template.Library()

OPEN_STATES = (Outgoing.State.WAITING, Outgoing.State.REFUSED, Outgoing.State.FOR_STAFF)


@register.inclusion_tag("dfe/includes/_application_state.html", takes_context=True)
def dfe_application_state(context, application) -> dict:
    """The DfE card for `application`, or nothing for someone who does not exchange with DfE."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("dfe.exchange_with_dfe"):
        return {"shown": False}
    linked = fixed_objects(_linked, application.pk)
    dfe = linked[0] if linked else None
    owed = []
    if dfe is None and connection_for_cohort(application.cohort) is None:
        return {"shown": False}  # the portal does not talk to DfE about this cohort
    if dfe is not None and dfe.owed:
        owed = fixed_objects(_owed, dfe.pk)
    return {"shown": True, "dfe": dfe, "owed": owed}


# Read by fixed queries (npq_portal.prepared), composed once a connection.
def _linked(application_id: int):
    """The DfE application linked to the portal's (at most one), with its connection and
    whether any change is owed to DfE for it (most have none: then they are not asked for)."""
    owed = Outgoing.objects.filter(dfe_application=OuterRef("pk"), state__in=OPEN_STATES)
    return (
        DfeApplication.objects.filter(application_id=application_id)
        .select_related("connection")
        .annotate(owed=Exists(owed))
        .order_by("pk")[:1]
    )


def _owed(dfe_application_id: int):
    return Outgoing.objects.filter(
        dfe_application=dfe_application_id, state__in=OPEN_STATES
    ).order_by("created_at", "pk")
