from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from citesmart.accounts.actions import create_staff_user, set_staff_role
from citesmart.accounts.roles import Role
from citesmart.network.models import Center

DEMO_PASSWORD = "demo-citesmart-2026"  # noqa: S105 - printed on purpose, demo only
DEMO_CENTER = "citemadera-y-del-mueble-lima"
# (username, role, center code or None, full name)
DEMO_USERS = [
    ("admin", Role.NATIONAL_ADMIN, None, "Administración ITP"),
    ("analista", Role.ANALYST, None, "Analista ITP"),
    ("gestor", Role.CENTER_MANAGER, DEMO_CENTER, "Gestión CITEmadera"),
    ("operador", Role.CENTER_OPERATOR, DEMO_CENTER, "Operación CITEmadera"),
]


class Command(BaseCommand):
    help = "Crea (o restablece) las cuentas de demostración e imprime cómo ingresar."

    @transaction.atomic
    def handle(self, *args, **options):
        for username, role, center_code, full_name in DEMO_USERS:
            center = Center.objects.filter(code=center_code).first() if center_code else None
            if center_code and center is None:
                raise CommandError("Cargue primero la red: citesmart load_reference")
            first, _, last = full_name.partition(" ")
            user = User.objects.filter(username=username).first()
            if user is None:
                user = create_staff_user(
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    center=center,
                    first_name=first,
                    last_name=last,
                )
            else:  # reset in place: tokens, imports and audit entries keep their author
                user.set_password(DEMO_PASSWORD)
                user.first_name, user.last_name, user.is_active = first, last, True
                user.save()
                set_staff_role(actor=None, user=user, role=role, center=center)
            user.is_superuser = role == Role.NATIONAL_ADMIN
            user.save(update_fields=["is_superuser"])
        self.stdout.write(f"Cuentas de demostración (contraseña para todas: {DEMO_PASSWORD}):")
        for username, role, center_code, _ in DEMO_USERS:
            self.stdout.write(
                f"  {username:<10} {Role(role).label}"
                + (f" — {center_code}" if center_code else "")
            )
