# Hand-written data migration: creates the four role groups. Their permissions are set by
# citesmart.accounts.roles.sync_role_groups after every migrate, from ROLE_PERMISSIONS.
from django.db import migrations

ROLE_GROUPS = [
    "Administrador nacional (ITP)",
    "Analista (solo lectura, toda la red)",
    "Gestor de centro",
    "Operador de centro",
]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
