"""What a signed-in person may do, read once a request in one query.

Every page needs the person's groups (their roles: the navigation bar, the start page), their
permissions (`has_perm`, the templates' `perms`) and, for hub staff, whether they have an
authenticator (MFA). Django's own backend asks for user and group permissions in two queries,
the roles take a third and MFA a fourth: here one UNION gives all of them, and Django's
permission caches on the user are filled from it, so `has_perm` asks the database nothing more.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import TextField
from django.db.models.expressions import RawSQL

from .prepared import prepared_execute

# Django's ModelBackend keeps a user's permissions under these attributes for the request.
PERMISSION_CACHES = ("_perm_cache", "_user_perm_cache", "_group_perm_cache")
ACCESS_CACHE = "_npq_access"
# Between the access rows read with a person, and between a row's kind and name: characters
# no group, permission or kind holds (the ASCII record and unit separators).
ROW_SEPARATOR = "\x1e"
FIELD_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class UserAccess:
    group_names: frozenset[str]
    permissions: frozenset[str]  # "app_label.codename", from groups and given directly
    has_totp: bool


def user_access(user) -> UserAccess:
    """The person's groups, permissions and authenticator, from one query; kept on the user
    object for the rest of the request (signed-in users only). A person read by id
    (`User.objects.get(pk=…)`, as every signed-in request reads them) was read with their
    access, in the same query: nothing more is asked here."""
    # getattr and setattr, not __dict__: request.user is a lazy proxy of the user.
    cached = getattr(user, ACCESS_CACHE, None)
    if cached is not None:
        return cached
    return _user_access_keep(user, _access_rows(user.pk))


def user_access_annotation(user_id: int) -> RawSQL:
    """The person's access as one text (`user_access_read` reads it back), to read with the
    person themselves: a signed-in request then asks the database one question less."""
    sql = f"(SELECT {_joined()} FROM ({_access_sql()}) access)"
    return RawSQL(sql, [FIELD_SEPARATOR, ROW_SEPARATOR, *[user_id] * 4], output_field=TextField())


def user_access_read(user, text: str | None) -> None:
    """Keep on the person the access `user_access_annotation` read with them."""
    rows = [tuple(row.split(FIELD_SEPARATOR, 1)) for row in (text or "").split(ROW_SEPARATOR)]
    _user_access_keep(user, [row for row in rows if len(row) == 2])


def _user_access_keep(user, rows) -> UserAccess:
    groups = frozenset(name for kind, name in rows if kind == "group")
    from_groups = frozenset(name for kind, name in rows if kind == "group-perm")
    own = frozenset(name for kind, name in rows if kind == "user-perm")
    access = UserAccess(groups, from_groups | own, any(kind == "totp" for kind, _ in rows))
    setattr(user, ACCESS_CACHE, access)
    if user.is_active and not user.is_superuser:
        # What ModelBackend would have read, in the shape it keeps (a superuser has every
        # permission: Django's own path answers that).
        user._user_perm_cache = set(own)
        user._group_perm_cache = set(from_groups)
        user._perm_cache = set(access.permissions)
    return access


def user_access_forget(user) -> None:
    """Drop what was read about this person (after their roles or permissions change)."""
    for name in (ACCESS_CACHE, "_npq_roles", *PERMISSION_CACHES):
        try:
            delattr(user, name)
        except AttributeError:
            pass


def _access_rows(user_id: int) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        # Prepared once a connection (npq_portal/prepared.py): PostgreSQL took three times as
        # long to plan the UNION as to run it.
        prepared_execute(cursor, _access_sql(), [user_id] * 4)
        return cursor.fetchall()


def _joined() -> str:
    """The access rows joined into one text, kind and name apart: the two databases name the
    aggregate differently."""
    aggregate = "string_agg" if connection.vendor == "postgresql" else "group_concat"
    return f"{aggregate}(access.kind || %s || access.name, %s)"


@functools.cache
def _access_sql() -> str:
    """The UNION, written once: composing it with the ORM on every page costs more than
    running it. Table and column names come from the models."""
    User = get_user_model()
    user_groups = User.groups.through._meta.db_table
    user_permissions = User.user_permissions.through._meta.db_table
    group = Group._meta.db_table
    group_permissions = Group.permissions.through._meta.db_table
    permission = Permission._meta.db_table
    content_type = ContentType._meta.db_table
    authenticator = Authenticator._meta.db_table
    permission_name = "ct.app_label || '.' || p.codename"
    permission_from = f"FROM {permission} p JOIN {content_type} ct ON ct.id = p.content_type_id"
    return f"""
        SELECT 'group' AS kind, g.name AS name FROM {group} g
            JOIN {user_groups} ug ON ug.group_id = g.id WHERE ug.user_id = %s
        UNION ALL
        SELECT 'group-perm', {permission_name} {permission_from}
            JOIN {group_permissions} gp ON gp.permission_id = p.id
            JOIN {user_groups} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s
        UNION ALL
        SELECT 'user-perm', {permission_name} {permission_from}
            JOIN {user_permissions} up ON up.permission_id = p.id WHERE up.user_id = %s
        UNION ALL
        SELECT 'totp', '' FROM {authenticator} a
            WHERE a.user_id = %s AND a.type = '{Authenticator.Type.TOTP.value}'
    """
