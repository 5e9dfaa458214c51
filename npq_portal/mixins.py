"""View mixins every app uses."""

from django.contrib.auth.mixins import PermissionRequiredMixin


class PermissionFirstMixin(PermissionRequiredMixin):
    """Checks the permission before `find_objects` looks up what the URL names.

    Someone without the permission is refused (403) whether or not the object exists: a 404 for
    a missing one and a 403 for a real one would tell them which exist.
    """

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        self.find_objects(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    def find_objects(self, **kwargs) -> None:
        """Look up what the URL names (a 404 here is only ever seen by those allowed in)."""
