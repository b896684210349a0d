"""The closing calendar in the back office: each center's months, their state, what is missing.

Managers close their centers' months; national administrators approve, return or reopen
them (records/closing.py decides, accounts/access.py says who). One year at a time.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from citesmart.accounts.access import accessible_centers, can_approve_months, role_of
from citesmart.accounts.roles import Role
from citesmart.records import closing
from citesmart.records.models import MonthStatus

ACTIONS = {
    "cerrar": closing.close_month,
    "aprobar": closing.approve_month,
    "devolver": closing.return_month,
    "reabrir": closing.reopen_month,
}
NEEDS_REASON = {"devolver", "reabrir"}
OPEN = closing.Cell(MonthStatus.OPEN, 0)


class ClosingForm(forms.Form):
    """One form for the whole calendar: the button pressed says `action:center:year:month`."""

    op = forms.RegexField(regex=r"^(cerrar|aprobar|devolver|reabrir):\d{1,9}:\d{4}:\d{1,2}$")
    reason = forms.CharField(max_length=300, required=False)

    def clean(self) -> dict:
        data = super().clean()
        if "op" in data:
            action, center, year, month = data["op"].split(":")
            if not 1 <= int(month) <= 12:
                raise ValidationError("Mes desconocido.")
            data.update(action=action, center=int(center), year=int(year), month=int(month))
        return data


def closing_calendar(request: HttpRequest, admin_site) -> HttpResponse:
    """GET: the calendar of one year; POST: one closing action, then back to the calendar."""
    if role_of(request.user) is None:
        raise PermissionDenied
    year = _year(request)
    if request.method == "POST":
        year = _act(request) or year
        return redirect(f"{reverse('admin:records_servicereport_closing')}?anio={year}")
    centers = list(accessible_centers(request.user).order_by("name").only("pk", "name", "code"))
    context = {
        **admin_site.each_context(request),
        "title": "Cierre mensual de las cifras",
        "year": year,
        "years": list(range(timezone.localdate().year, 2018, -1)),
        "months": closing.MONTH_NAMES,
        "body": _body(request.user, centers, year),
    }
    return TemplateResponse(request, "records/closing_calendar.html", context)


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("anio", "")
    today = timezone.localdate()
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= today.year else today.year


def _body(user, centers: list, year: int) -> SafeString:
    """The table's rows, built here rather than in the template: 48 centers × 12 months of
    cells with their buttons cost ~13,000 template nodes, most of the page's time."""
    cells = closing.calendar(centers, [year])
    today = timezone.localdate()
    allowed = {
        "manager": role_of(user) in {Role.CENTER_MANAGER, Role.NATIONAL_ADMIN},
        "national": can_approve_months(user),
    }
    labels = {status.value: str(status.label) for status in MonthStatus}
    rows = []
    for center in centers:
        tds = []
        for month in range(1, 13):
            cell = cells.get((center.pk, year, month), OPEN)
            future = (year, month) >= (today.year, today.month)
            value = f"{center.pk}:{year}:{month}"
            buttons = "".join(
                f' <button name="op" value="{action}:{value}">{action.capitalize()}</button>'
                for action in _offers(cell, future, **allowed)
            )
            pending = f" ({cell.pending})" if cell.pending else ""
            label = escape(labels[cell.status])
            tds.append(f'<td class="mes {escape(cell.status)}">{label}{pending}{buttons}</td>')
        rows.append(f'<tr><th scope="row">{escape(center.name)}</th>{"".join(tds)}</tr>')
    return mark_safe("\n".join(rows))  # every value above is escaped or our own


def _offers(cell: closing.Cell, future: bool, *, manager: bool, national: bool) -> list[str]:
    offers = []
    if manager and not future and not cell.pending and not _locked(cell):
        offers.append("cerrar")
    if national and cell.status == MonthStatus.CLOSED:
        offers += ["aprobar", "devolver"]
    if national and cell.status == MonthStatus.APPROVED:
        offers.append("reabrir")
    return offers


def _locked(cell: closing.Cell) -> bool:
    return cell.status in (MonthStatus.CLOSED, MonthStatus.APPROVED)


def _act(request: HttpRequest) -> int | None:
    form = ClosingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pedido incompleto: elija un mes y una acción del calendario.")
        return None
    data = form.cleaned_data
    center = accessible_centers(request.user).filter(pk=data["center"]).first()
    if center is None:
        messages.error(request, "Ese centro no existe o no está a su alcance.")
        return data["year"]
    arguments = {"center": center, "year": data["year"], "month": data["month"]}
    if data["action"] in NEEDS_REASON:
        arguments["reason"] = data["reason"]
    label = closing.month_label(data["year"], data["month"])
    try:
        ACTIONS[data["action"]](actor=request.user, **arguments)
    except (ValidationError, PermissionDenied) as error:
        text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, f"{center}, {label}: {text}")
    else:
        messages.success(request, f"{center}, {label}: {data['action']} — hecho.")
    return data["year"]
