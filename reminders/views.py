"""The reminders' pages: stopping them from an email, the upcoming list, every email's preview."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

from npq_portal.emails import email_render
from npq_portal.ratelimit import SignedLinkMixin

from .email_samples import email_kinds, email_sample_context
from .links import email_from_stop_token
from .services import reminders_due_soon, reminders_opt_out


@method_decorator(login_not_required, name="dispatch")
class RemindersStopView(SignedLinkMixin, TemplateView):
    """From the link in a reminder: turn optional reminders off (a button; scanners follow
    links). Urgent email, such as a moved session, still goes."""

    template_name = "reminders/reminders_stop.html"
    link_invalid_template = "reminders/reminders_link_invalid.html"

    def link_target(self, token):
        self.email = email_from_stop_token(token)
        return self.email

    def post(self, request, *args, **kwargs):
        reminders_opt_out(email=self.email)
        return self.render_to_response(self.get_context_data(done=True))


class RemindersUpcomingView(PermissionRequiredMixin, TemplateView):
    """Who will be emailed what in the next 7 days."""

    permission_required = "npq_portal.view_emaildelivery"
    template_name = "reminders/reminders_upcoming.html"

    def get_context_data(self, **kwargs):
        from django.conf import settings

        return super().get_context_data(
            upcoming=reminders_due_soon(days=7), cap=settings.REMINDERS["daily_cap"], **kwargs
        )


# The preview's sandboxed srcdoc frame inherits this page's policy, and emails style
# themselves with style attributes (mail apps drop stylesheets): allow those attributes here
# only. Scripts stay refused, and the sandbox runs none anyway.
@method_decorator(csp_update({"style-src-attr": [UNSAFE_INLINE]}), name="dispatch")
class EmailPreviewView(PermissionRequiredMixin, TemplateView):
    """Every email with sample data: its subject, plain text and HTML, as people get it."""

    permission_required = "npq_portal.view_emaildelivery"
    template_name = "reminders/email_preview.html"

    def get_context_data(self, **kwargs):

        context = super().get_context_data(**kwargs)
        kinds = email_kinds()
        kind = self.request.GET.get("kind") or kinds[0]
        if kind not in kinds:
            raise Http404("No such email.")
        message = email_render(kind=kind, context=email_sample_context(kind))
        context.update(
            kinds=kinds,
            kind=kind,
            subject=message.subject,
            text=message.body,
            html=message.alternatives[0][0],
        )
        return context
