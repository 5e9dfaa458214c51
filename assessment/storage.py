"""Where assessment files live: a private folder of MEDIA_ROOT that no URL serves.

Case-study materials and participants' submissions are streamed by views that check who is
asking; the files themselves get random names, so a name says nothing about the person.
"""

from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property


class PrivateStorage(FileSystemStorage):
    """MEDIA_ROOT/private, with no public URL."""

    @cached_property
    def base_location(self):
        # Read late (and re-read when a test changes MEDIA_ROOT: Django clears this property).
        return os.path.join(settings.MEDIA_ROOT, "private")

    def url(self, name):
        raise ValueError("Private files have no URL: a view streams them after checking access.")


_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    return _storage


def material_upload_to(instance, filename: str) -> str:
    return f"assessment/materials/{uuid.uuid4().hex}"


def submission_upload_to(instance, filename: str) -> str:
    return f"assessment/submissions/{uuid.uuid4().hex}"
