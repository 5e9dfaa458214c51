"""Create a group for each role in npq_portal/roles.py.

The groups' permissions are attached after every migrate (roles_sync_permissions), because
permissions themselves are only created once each app has migrated.
"""

from django.db import migrations

ROLE_GROUP_NAMES = [
    "Hub administrator",
    "Programme lead",
    "Facilitator",
    "Assessor",
    "School leader",
]


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_GROUP_NAMES:
        Group.objects.get_or_create(name=name)


def remove_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=ROLE_GROUP_NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("npq_portal", "0001_users_roles_email_log"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
