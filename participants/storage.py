"""Where a school's action plan file lives: a private folder of MEDIA_ROOT that no URL serves.

The same place and rule as assessment's files (assessment/storage.py), which participants cannot
import (it sits to its right): a view streams a plan after checking who is asking, and files get
random names, so a name says nothing about the school.
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


def action_plan_upload_to(instance, filename: str) -> str:
    return f"participants/action_plans/{uuid.uuid4().hex}"
