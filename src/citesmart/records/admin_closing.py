"""The closing calendar in the back office: each center's months, their state, what is missing.

Managers close their centers' months; national administrators approve, return or reopen
them (records/closing.py decides, accounts/access.py says who). One year at a time, or every
year on one page (?anio=todos).
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

from citesmart.accounts.access import (
    accessible_centers,
    can_approve_months,
    may_close_months,
    may_view_closings,
)
from citesmart.lib.months import MONTH_NAMES, month_label
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
FIRST_YEAR = 2019  # the first year of micro-records
ALL_YEARS = "todos"


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
    """GET: the calendar of one year (or of every year, ?anio=todos); POST: one closing
    action, then back to the calendar of its year."""
    if not may_view_closings(request.user):
        raise PermissionDenied
    years = _years(request)
    if request.method == "POST":
        year = _act(request) or years[0]
        return redirect(f"{reverse('admin:records_servicereport_closing')}?anio={year}")
    centers = list(accessible_centers(request.user).order_by("name").only("pk", "name", "code"))
    context = {
        **admin_site.each_context(request),
        "title": "Cierre mensual de las cifras",
        "year": years[0] if len(years) == 1 else ALL_YEARS,
        "years": list(range(timezone.localdate().year, FIRST_YEAR - 1, -1)),
        "months": MONTH_NAMES,
        "body": _body(request.user, centers, years),
    }
    return TemplateResponse(request, "records/closing_calendar.html", context)


def _years(request: HttpRequest) -> list[int]:
    """The year asked for (this one by default), or every year from FIRST_YEAR, newest first."""
    raw = request.GET.get("anio", "")
    today = timezone.localdate()
    if raw == ALL_YEARS:
        return list(range(today.year, FIRST_YEAR - 1, -1))
    return [int(raw) if raw.isdigit() and 2000 <= int(raw) <= today.year else today.year]


def _body(user, centers: list, years: list[int]) -> SafeString:
    """The table's rows, built here rather than in the template: 48 centers × 12 months of
    cells with their buttons cost ~13,000 template nodes a year, most of the page's time."""
    cells = closing.calendar(centers, years)
    allowed = {
        "manager": may_close_months(user),
        "national": can_approve_months(user),
    }
    labels = {status.value: escape(status.label) for status in MonthStatus}
    today = timezone.localdate()
    rows = []
    for year in years:
        if len(years) > 1:
            rows.append(f'<tr class="anio"><th scope="rowgroup" colspan="13">{year}</th></tr>')
        for center in centers:
            tds = "".join(
                _td(
                    cells.get((center.pk, year, month), OPEN),
                    labels,
                    f"{center.pk}:{year}:{month}",
                    (year, month) >= (today.year, today.month),
                    allowed,
                )
                for month in range(1, 13)
            )
            rows.append(f'<tr><th scope="row">{escape(center.name)}</th>{tds}</tr>')
    return mark_safe("\n".join(rows))  # every value above is escaped or our own


def _td(cell: closing.Cell, labels: dict, value: str, future: bool, allowed: dict) -> str:
    buttons = "".join(
        f' <button name="op" value="{action}:{value}">{action.capitalize()}</button>'
        for action in _offers(cell, future, **allowed)
    )
    pending = f" ({cell.pending})" if cell.pending else ""
    return f'<td class="mes {escape(cell.status)}">{labels[cell.status]}{pending}{buttons}</td>'


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
    label = month_label(data["year"], data["month"])
    try:
        ACTIONS[data["action"]](actor=request.user, **arguments)
    except (ValidationError, PermissionDenied) as error:
        text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, f"{center}, {label}: {text}")
    else:
        messages.success(request, f"{center}, {label}: {data['action']} — hecho.")
    return data["year"]
