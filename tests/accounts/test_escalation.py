"""No role can raise itself (security issue 14): the escalation matrix.

Every actor × every back-office page that could set a role (the user page, add and change,
for each kind of target account; the stand-alone staff-profile and group pages) × every role
× every center: a POST may change an account only within what the actor may grant, and the
superuser, staff and group flags move only for national administrators.
"""

import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from citesmart.accounts.access import check_role_grant, manageable_users
from citesmart.accounts.actions import set_staff_role
from citesmart.accounts.models import StaffProfile
from citesmart.accounts.roles import Role
from citesmart.network.models import Center

ACTORS = ["national_admin", "analyst", "manager_a", "operator_a"]
TARGETS = ["new", "self", "peer", "other_center", "itp_analyst"]
CENTERS = ["a", "technical_unit_a", "b", "none"]


@pytest.fixture
def world(national_admin, analyst, manager_a, operator_a, operator_b, center_a, center_b):
    users = {
        "national_admin": national_admin,
        "analyst": analyst,
        "manager_a": manager_a,
        "operator_a": operator_a,
        "operator_b": operator_b,
    }
    centers = {
        "a": center_a,
        "technical_unit_a": Center.objects.filter(parent=center_a).first(),
        "b": center_b,
        "none": None,
    }
    assert centers["technical_unit_a"] is not None
    return {"users": users, "centers": centers}


def target_user(world, actor: str, target: str) -> User | None:
    users = world["users"]
    return {
        "new": None,
        "self": users[actor],
        "peer": users["operator_a"] if actor != "operator_a" else users["manager_a"],
        "other_center": users["operator_b"],
        "itp_analyst": users["analyst"] if actor != "analyst" else users["national_admin"],
    }[target]


def may_grant(world, actor: str, target: str, role: Role, center_key: str) -> bool:
    """The rule, written independently of accounts.access."""
    if actor == "national_admin":
        return (role in {Role.CENTER_MANAGER, Role.CENTER_OPERATOR}) == (center_key != "none")
    if actor != "manager_a":
        return False
    return (
        target in {"new", "self", "peer"}
        and role in {Role.CENTER_MANAGER, Role.CENTER_OPERATOR}
        and center_key in {"a", "technical_unit_a"}
    )


def state(user: User) -> tuple:
    user.refresh_from_db()
    profile = StaffProfile.objects.filter(user=user).first()
    groups = tuple(sorted(user.groups.values_list("name", flat=True)))
    return (
        profile.role if profile else None,
        profile.center_id if profile else None,
        user.is_superuser,
        user.is_staff,
        groups,
    )


def user_form(user: User | None, role: Role, center: Center | None, username: str) -> dict:
    profile = StaffProfile.objects.filter(user=user).first() if user else None
    data = {
        "username": username,
        "password1": "una-clave-nueva-muy-larga-9",
        "password2": "una-clave-nueva-muy-larga-9",
        "first_name": "Nombre",
        "last_name": "Apellido",
        "email": "persona@example.pe",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",  # every page is also asked for superuser
        "groups": [str(group.pk) for group in Group.objects.all()],
        "date_joined_0": "01/01/2025",
        "date_joined_1": "08:00:00",
        "staff_profile-TOTAL_FORMS": "1",
        "staff_profile-INITIAL_FORMS": "1" if profile else "0",
        "staff_profile-MIN_NUM_FORMS": "1",
        "staff_profile-MAX_NUM_FORMS": "1",
        "staff_profile-0-role": role.value,
        "staff_profile-0-center": str(center.pk) if center else "",
    }
    if profile:
        data |= {"staff_profile-0-id": str(profile.pk), "staff_profile-0-user": str(user.pk)}
    return data


@pytest.mark.parametrize("actor", ACTORS)
def test_no_user_page_grants_above_the_actor(client_for, world, actor):
    client = client_for(world["users"][actor])
    granted, refused = 0, 0
    for target in TARGETS:
        for role in Role:
            for center_key in CENTERS:
                center = world["centers"][center_key]
                user = target_user(world, actor, target)
                allowed = may_grant(world, actor, target, role, center_key)
                if user is None:
                    username = f"n{granted + refused}"
                    client.post(
                        reverse("admin:auth_user_add"), user_form(None, role, center, username)
                    )
                    created = User.objects.filter(username=username).first()
                    assert allowed or created is None, (actor, role, center_key)
                    if created:
                        assert state(created)[:2] == (role, center.pk if center else None)
                        assert actor == "national_admin" or not created.is_superuser
                else:
                    before = state(user)
                    url = reverse("admin:auth_user_change", args=[user.pk])
                    client.post(url, user_form(user, role, center, user.username))
                    after = state(user)
                    case = (actor, target, role, center_key, before, after)
                    if not allowed:
                        assert after[:2] == before[:2], case
                    if actor != "national_admin":
                        assert after[2:4] == before[2:4], case  # superuser, staff
                        assert after[4] == (str(Role(after[0]).label),), case  # groups = role
                    if allowed and after != before:
                        set_staff_role(
                            actor=None, user=user, role=before[0], center=_center(before)
                        )
                        User.objects.filter(pk=user.pk).update(is_superuser=before[2])
                granted += allowed
                refused += not allowed
    assert refused > 0


def _center(snapshot: tuple) -> Center | None:
    return Center.objects.filter(pk=snapshot[1]).first()


def test_a_manager_still_creates_and_changes_their_centers_staff(client_for, world):
    client = client_for(world["users"]["manager_a"])
    tu = world["centers"]["technical_unit_a"]
    data = user_form(None, Role.CENTER_OPERATOR, tu, "nuevo_operador")
    assert client.post(reverse("admin:auth_user_add"), data).status_code == 302
    new = User.objects.get(username="nuevo_operador")
    assert state(new)[:3] == (Role.CENTER_OPERATOR, tu.pk, False)
    assert state(new)[4] == (str(Role.CENTER_OPERATOR.label),)
    peer = world["users"]["operator_a"]
    data = user_form(peer, Role.CENTER_MANAGER, world["centers"]["a"], peer.username)
    assert client.post(reverse("admin:auth_user_change", args=[peer.pk]), data).status_code == 302
    assert state(peer)[:3] == (Role.CENTER_MANAGER, world["centers"]["a"].pk, False)


def test_a_manager_asking_for_an_itp_role_gets_a_spanish_error(client_for, world):
    manager = world["users"]["manager_a"]
    data = user_form(manager, Role.ANALYST, None, manager.username)
    response = client_for(manager).post(reverse("admin:auth_user_change", args=[manager.pk]), data)
    assert response.status_code == 200
    assert "Escoja una opción válida" in response.text or "No puede asignar" in response.text
    assert state(manager)[:3] == (Role.CENTER_MANAGER, world["centers"]["a"].pk, False)


def test_the_national_admin_sets_superuser_and_itp_roles(client_for, world):
    target = world["users"]["operator_b"]
    data = user_form(target, Role.ANALYST, None, target.username)
    client = client_for(world["users"]["national_admin"])
    response = client.post(reverse("admin:auth_user_change", args=[target.pk]), data)
    assert response.status_code == 302, response.text[:2000]
    assert state(target)[:3] == (Role.ANALYST, None, True)


@pytest.mark.parametrize("actor", ACTORS)
def test_the_stand_alone_staff_profile_and_group_pages_give_nothing(client_for, world, actor):
    client = client_for(world["users"][actor])
    own = world["users"][actor].staff_profile
    before = state(world["users"][actor])
    pages = [
        ("/admin/accounts/staffprofile/add/", {"user": own.user_id, "role": "admin_nacional"}),
        (f"/admin/accounts/staffprofile/{own.pk}/change/", {"role": "analista", "center": ""}),
        ("/admin/auth/group/add/", {"name": "atajo", "permissions": []}),
    ]
    for url, data in pages:
        assert client.get(url).status_code in {302, 403, 404}, url
        client.post(url, data)
    assert state(world["users"][actor]) == before
    assert not Group.objects.filter(name="atajo").exists()


def test_the_check_refuses_in_spanish_and_the_command_line_is_trusted(world):
    manager, analyst = world["users"]["manager_a"], world["users"]["analyst"]
    with pytest.raises(PermissionDenied, match="No puede asignar el rol"):
        check_role_grant(manager, user=manager, role=Role.NATIONAL_ADMIN, center=None)
    with pytest.raises(PermissionDenied, match="Solo puede asignar personal a su centro"):
        check_role_grant(
            manager, user=None, role=Role.CENTER_OPERATOR, center=world["centers"]["b"]
        )
    with pytest.raises(PermissionDenied, match="No puede cambiar el rol de esta cuenta"):
        check_role_grant(
            manager,
            user=world["users"]["operator_b"],
            role=Role.CENTER_OPERATOR,
            center=world["centers"]["a"],
        )
    with pytest.raises(PermissionDenied):
        check_role_grant(
            analyst, user=None, role=Role.CENTER_OPERATOR, center=world["centers"]["a"]
        )
    set_staff_role(actor=None, user=analyst, role=Role.NATIONAL_ADMIN)
    assert state(analyst)[0] == Role.NATIONAL_ADMIN


def test_demo_users_are_reset_in_place_not_deleted(db, world):
    call_command("create_demo_users", stdout=io.StringIO())
    first = User.objects.get(username="gestor")
    first.set_password("otra-clave-cambiada-123")
    first.save()
    call_command("create_demo_users", stdout=io.StringIO())
    again = User.objects.get(username="gestor")
    assert again.pk == first.pk and again.check_password("demo-citesmart-2026")


def test_an_account_without_a_role_is_for_the_national_administrator_only(client_for, world):
    """A freshly created account with no role yet (e.g. the national administrator's own new
    account, created before its profile) is not a center manager's to take over."""
    manager, admin = world["users"]["manager_a"], world["users"]["national_admin"]
    roleless = User.objects.create_user(username="recien_creada", password="x" * 20)
    center = world["centers"]["a"]
    assert not manageable_users(manager).filter(pk=roleless.pk).exists()
    assert manageable_users(admin).filter(pk=roleless.pk).exists()
    with pytest.raises(PermissionDenied, match="No puede cambiar el rol de esta cuenta"):
        check_role_grant(manager, user=roleless, role=Role.CENTER_MANAGER, center=center)
    with pytest.raises(PermissionDenied):
        set_staff_role(actor=manager, user=roleless, role=Role.CENTER_MANAGER, center=center)
    client = client_for(manager)
    data = user_form(roleless, Role.CENTER_MANAGER, center, roleless.username)
    answer = client.post(reverse("admin:auth_user_change", args=[roleless.pk]), data)
    assert answer.status_code in {302, 404} and state(roleless)[0] is None
    set_staff_role(actor=admin, user=roleless, role=Role.CENTER_OPERATOR, center=center)
    assert state(roleless)[:2] == (Role.CENTER_OPERATOR, center.pk)
