"""The authorization matrix, written as rules: who may read (GET) and write (POST) each URL.

Every URL of the project (walked from the URL configuration) must match exactly one rule
here, or tests/ops/test_authorization_matrix.py fails: a new URL cannot be forgotten.

Outcomes: "ok" (2xx, or a redirect that is not to the login page), "login" (redirect to the
login page), "deny" (401/403/404/405, or the admin's redirect to its index for an object the
user may not see), "invalid" (400/422: past authorization, the empty body refused — the
API's answer to an authorized write with nothing in it). A 500 always fails.

Adding the URLs of a new app (e.g. the API under /api/v1/ or open data under /datos/) takes
one line per group of URLs in RULES, keyed by a regular expression on the URL name
("namespace:name") or, for unnamed URLs, on the route:

    Rule(r"^api:", api_rule),                      # token or session, scoped: write it below
    Rule(r"^opendata:", public(read="ok", write="deny")),

and, when a URL has parameters, a sample value in SAMPLES (test_authorization_matrix.py).
Admin pages of a new model need one line in ADMIN_MODELS with each role's letters.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

ROLES = (
    "anonymous",
    "operator_a",
    "manager_a",
    "operator_b",
    "analyst",
    "national_admin",
    "token_a",  # center A's API token (made by its manager), sent to every URL
)
STAFF = {"operator_a", "manager_a", "operator_b", "analyst", "national_admin"}
OUTSIDERS = {"anonymous", "token_a"}  # an API token opens no session page

Expect = Callable[[str, str], str]  # (role, method) -> "ok" | "login" | "deny"


@dataclass(frozen=True)
class Rule:
    pattern: str
    expect: Expect
    methods: tuple[str, ...] = ("GET", "POST")

    def matches(self, key: str) -> bool:
        return re.search(self.pattern, key) is not None


def public(read: str = "ok", write: str = "deny") -> Expect:
    """Everybody, logged in or not, gets the same answer."""
    return lambda role, method: read if method == "GET" else write


def staff_only(ok_roles: set[str] = STAFF, write: str | None = None) -> Expect:
    """Back-office pages: outsiders go to the login page, staff in `ok_roles` get in."""

    def expect(role: str, method: str) -> str:
        if role in OUTSIDERS:
            return "login"
        if method == "POST" and write is not None:
            return write
        return "ok" if role in ok_roles else "deny"

    return expect


# --- admin models: letters per role (r view, a add, c change, d delete) ----------------------
# Columns: national admin, analyst, center manager, center operator. `scoped`: the sample
# object belongs to center A, so center B's staff must not reach it (404).


@dataclass(frozen=True)
class Access:
    national: str
    analyst: str
    manager: str
    operator: str
    scoped: bool = False

    def letters(self, role: str) -> str:
        column = {
            "national_admin": self.national,
            "analyst": self.analyst,
            "manager_a": self.manager,
            "operator_a": self.operator,
            "operator_b": self.operator,
        }
        return column.get(role, "")


ADMIN_MODELS: dict[str, Access] = {
    "auth_user": Access("rac", "", "rac", "", scoped=True),
    "auth_group": Access("r", "", "", ""),
    "otp_totp_totpdevice": Access("rd", "", "", ""),
    "axes_accessattempt": Access("rd", "", "", ""),
    "axes_accesslog": Access("", "", "", ""),
    "axes_accessfailurelog": Access("", "", "", ""),
    # Reference data comes from files (load_reference): read-only for everybody.
    "geo_department": Access("r", "r", "r", "r"),
    "geo_province": Access("r", "r", "r", "r"),
    "geo_district": Access("r", "r", "r", "r"),
    "network_chain": Access("racd", "r", "r", "r"),
    "network_servicecategory": Access("racd", "r", "r", "r"),
    "network_programme": Access("racd", "r", "r", "r"),
    "network_modality": Access("racd", "r", "r", "r"),
    "network_center": Access("rac", "r", "rc", "r", scoped=True),  # centers are never deleted
    "network_catalogueservice": Access("racd", "r", "racd", "r", scoped=True),
    "network_legalact": Access("racd", "r", "r", "r", scoped=True),
    # Batches come from the upload page and are history; reports are cancelled, never
    # deleted; the audit trail is read-only; units are created by reports and merged.
    "records_importbatch": Access("r", "r", "r", "r", scoped=True),
    "records_servicereport": Access("rac", "r", "rac", "rac", scoped=True),
    "records_auditentry": Access("r", "r", "r", "r", scoped=True),
    "units_productiveunit": Access("rc", "r", "rc", "rc", scoped=True),
    "service_requests_servicerequest": Access("", "", "rc", "rc", scoped=True),
    # API tokens: a manager creates and revokes (change) their center's; never deleted.
    "api_apitoken": Access("rac", "r", "rac", "", scoped=True),
    # Targets: only national administrators set them (a revision is a new version, made on
    # the add page); the history (change) page is read-only; operators have no access.
    "targets_target": Access("ra", "r", "r", "", scoped=True),
    # Survey waves: defined by national administrators (changed until drawn), read by analysts;
    # center staff have no access (surveying is kept away from the centers).
    "surveys_wave": Access("rac", "r", "", ""),
    # ITP's institutional tables: written only by loads (batches), undone only by a revert;
    # ITP staff read them, center staff have no access.
    **{
        f"historic_{model}": Access("r", "r", "", "")
        for model in (
            "historicbatch",
            "historicservices",
            "historicclients",
            "historicclientsbyclass",
            "historicclientsbytaxpayer",
            "budget",
            "budgetexecution",
            "staff",
            "investmentproject",
        )
    },
}

# What each admin view needs: (letters for GET, letters for POST); any one letter suffices.
ADMIN_VIEWS = {
    "changelist": ("rc", "rc"),
    "add": ("a", "a"),
    "change": ("rc", "c"),
    "delete": ("d", "d"),
    "history": ("rc", "rc"),
}


def admin_model(model: str, view: str) -> Expect:
    access = ADMIN_MODELS[model]
    needs = ADMIN_VIEWS[view]

    def expect(role: str, method: str) -> str:
        if role in OUTSIDERS:
            return "login"
        letters = access.letters(role)
        wanted = needs[0] if method == "GET" else needs[1]
        if not any(letter in letters for letter in wanted):
            return "deny"
        if access.scoped and view != "changelist" and view != "add" and role == "operator_b":
            return "deny"
        return "ok"

    return expect


def admin_model_rules() -> list[Rule]:
    rules = []
    for model in ADMIN_MODELS:
        for view in ADMIN_VIEWS:
            rules.append(Rule(rf"^admin:{model}_{view}$", admin_model(model, view)))
    return rules


# --- custom back-office views ----------------------------------------------------------------


def records_rule(ok: set[str], *, get: str = "ok", post: str = "ok") -> Expect:
    def expect(role: str, method: str) -> str:
        if role in OUTSIDERS:
            return "login"
        if role not in ok:
            return "deny"
        return get if method == "GET" else post

    return expect


EXPORTERS = {"manager_a", "analyst", "national_admin"}  # operators do not export
IMPORTERS = {"operator_a", "manager_a", "national_admin", "operator_b"}
REPORTERS = {"manager_a", "analyst", "national_admin"}  # reports and targets: no operators


def api_write(write_method: str) -> Expect:
    """POST /api/v1/informes/ and PUT /api/v1/informes/<codigo>/: center A's token only.

    Other methods are 405; without the token 401, whatever session the client has.
    """

    def expect(role: str, method: str) -> str:
        if method == write_method and role == "token_a":
            return "invalid"  # authenticated; the empty report is refused field by field
        return "deny"

    return expect


RULES: list[Rule] = [
    # Public portal: reads for everybody; the request form is the only public write.
    Rule(r"^portal:request_new$", public(read="ok", write="ok")),
    Rule(r"^portal:", public(read="ok", write="deny")),
    # Operations: health for the load balancer (anyone); metrics only from allowed addresses
    # or with the metrics token, never because of a staff session.
    Rule(r"^ops:health$", public(read="ok", write="deny")),
    Rule(r"^ops:metrics$", public(read="deny", write="deny")),
    # Accounts: TOTP enrolment for staff.
    Rule(r"^accounts:two_factor$", staff_only()),
    # Django admin: site pages.
    # (a logged-in user asking for the login page is sent to the index: "deny" here)
    Rule(
        r"^admin:login$",
        lambda role, method: "ok" if role in OUTSIDERS or method == "POST" else "deny",
    ),
    Rule(
        r"^admin:logout$",
        lambda role, method: "deny" if role in OUTSIDERS else "ok",
        methods=("POST",),
    ),
    Rule(r"^admin:(index|app_list|password_change)$", staff_only()),
    Rule(r"^admin:(password_change_done|jsi18n)$", staff_only(write="deny")),
    Rule(r"^admin:autocomplete$", staff_only(ok_roles=set()), methods=("GET",)),
    # Centers have no public URL of their own in the admin sense: 404 for staff.
    Rule(r"^admin:view_on_site$", staff_only(ok_roles=set()), methods=("GET",)),
    # Admin: legacy object URL (redirects to .../change/ for staff) and the catch-all 404.
    Rule(r"^route:admin/[a-z_]+/[a-z_]+/<path:object_id>/$", staff_only(), methods=("GET",)),
    Rule(r"^route:admin/\(\?P<url>\.\*\)\$$", staff_only(ok_roles=set()), methods=("GET",)),
    # Records: export, import (upload, template, download, revert), cancel, validate.
    Rule(r"^admin:records_servicereport_export$", records_rule(EXPORTERS), methods=("GET",)),
    # The closing calendar: every staff member reads it; its actions check the role
    # (an empty POST is refused with a message and a redirect back).
    Rule(r"^admin:records_servicereport_closing$", staff_only()),
    Rule(r"^admin:records_importbatch_upload$", records_rule(IMPORTERS)),
    # Suggestions on the entry screen, for any staff member: districts (public reference
    # data) and productive units (only those records.queries.units_for_user lets them see).
    Rule(r"^admin:records_servicereport_(districts|units)$", staff_only(), methods=("GET",)),
    Rule(r"^admin:records_importbatch_template$", staff_only(), methods=("GET",)),
    Rule(
        r"^admin:records_importbatch_download$",
        records_rule({"operator_a", "manager_a", "analyst", "national_admin"}),
        methods=("GET",),
    ),
    Rule(
        r"^admin:records_importbatch_revert$",
        records_rule({"manager_a", "national_admin"}),
    ),
    # Registering or checking again a checked file (POST only): whoever checked it (operator
    # A made the sample batch) or the center's manager; the sample is already registered, so
    # they are sent back to its page with the reason.
    Rule(
        r"^admin:records_importbatch_(register|recheck)$",
        records_rule({"operator_a", "manager_a", "national_admin"}, get="deny"),
    ),
    # Cancelling and validating: the center's manager or ITP (accounts.access), never an
    # operator; the month's validation screen likewise.
    Rule(
        r"^admin:records_servicereport_cancel$",
        records_rule({"manager_a", "national_admin"}),
    ),
    Rule(
        r"^admin:records_servicereport_validation$",
        records_rule({"manager_a", "national_admin"}),
    ),
    Rule(
        r"^admin:records_servicereport_validate$",
        records_rule({"manager_a", "national_admin"}, get="deny"),
    ),
    Rule(r"^admin:auth_user_password_change$", admin_model("auth_user", "change")),
    # A one-time 2FA enrolment code: issued by a national administrator for someone else.
    Rule(r"^admin:auth_user_enrolment_code$", staff_only({"national_admin"})),
    # OTP device pages: national administrators only.
    Rule(r"^admin:otp_totp_totpdevice_(config|qrcode)$", staff_only({"national_admin"})),
    # API (/api/v1/): reads are public (a session or a token changes nothing); writes take
    # only a center's API token: anyone else gets 401, a session included.
    Rule(r"^api-v1:create_report$", api_write("POST"), methods=("GET", "POST")),
    Rule(r"^api-v1:put_report$", api_write("PUT"), methods=("GET", "POST", "PUT")),
    # django-ninja's root (/api/v1/) only names the API's base path: a 404 by design. Its
    # OpenAPI document and Swagger page answer every method with the same public page.
    Rule(r"^api-v1:api-root$", public(read="deny", write="deny")),
    Rule(r"^api-v1:openapi-(json|view)$", public(read="ok", write="ok")),
    Rule(r"^api-v1:costs$", public(read="ok", write="deny")),  # /api/v1/costos/
    Rule(r"^api-v1:", public(read="ok", write="deny")),
    # Open data (/datos/): public downloads, nothing to write.
    Rule(r"^opendata:", public(read="ok", write="deny")),
    # Publications of official figures (/publicaciones/): public reading only.
    Rule(r"^publications:", public(read="ok", write="deny")),
    # Reports: ITP staff (administrators, analysts) on any center; a manager on their own.
    Rule(r"^reports:form$", records_rule(REPORTERS), methods=("GET",)),
    # Targets: progress export for whoever sees targets (scoped rows); loading them and the
    # blank spreadsheet for it for national administrators only.
    Rule(r"^admin:targets_target_export$", records_rule(REPORTERS), methods=("GET",)),
    Rule(r"^admin:targets_target_(upload|template)$", records_rule({"national_admin"})),
    # ITP's institutional tables: loading and reverting for national administrators; the
    # blank templates for ITP staff.
    Rule(r"^admin:historic_historicbatch_(upload|revert)$", records_rule({"national_admin"})),
    Rule(
        r"^admin:historic_historicbatch_template$",
        records_rule({"analyst", "national_admin"}),
        methods=("GET",),
    ),
    # Surveys: the answer page opens only with a valid link (the sample is not one: 404);
    # results are public aggregates; ITP's survey screens: national administrators write,
    # analysts read, center staff never see samples, contacts or answers.
    Rule(r"^surveys:answer$", public(read="deny", write="deny")),
    Rule(r"^surveys:(thanks|results|results_json|results_csv)$", public(read="ok", write="deny")),
    Rule(
        r"^surveys:(staff_index|wave_detail|invitation_detail)$",
        lambda role, method: (
            records_rule({"national_admin"})(role, method)
            if method == "POST"
            else records_rule({"analyst", "national_admin"})(role, method)
        ),
    ),
    Rule(r"^surveys:paper_form$", records_rule({"national_admin"})),
    *admin_model_rules(),
]


def rule_for(key: str) -> list[Rule]:
    return [rule for rule in RULES if rule.matches(key)]
