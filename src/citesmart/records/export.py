"""Exporting service records: one row per service (the counting unit), xlsx or csv.

Rows are read with a server-side iterator and written by lib.spreadsheets (formula
injection neutralised): CSV straight into a streamed response, xlsx (XlsxWriter, constant
memory) to a temporary file that is then streamed, so ~100k rows take constant memory.
Who may export is decided by accounts.access.can_export_records, checked here for every
door (admin action or view).
"""

import tempfile
from collections.abc import Iterator
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, QuerySet, When
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from citesmart.accounts.access import can_export_records, scope
from citesmart.lib.identity import DocumentType
from citesmart.lib.spreadsheets import CellValue, csv_chunks, write_csv, write_xlsx
from citesmart.records.models import ReportStatus, Service, ServiceReport
from citesmart.records.queries import units_for_user
from citesmart.units.models import ClientType, SizeClass

Format = Literal["xlsx", "csv"]
FORMATS: tuple[Format, ...] = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
HEADERS = [
    "Código del informe",
    "Centro",
    "Estado",
    "Categoría",
    "Servicio del catálogo",
    "Cadena",
    "Fecha de inicio",
    "Fecha de fin",
    "Lugar de prestación",
    "Gratuito",
    "Programa",
    "Participantes",
    "Horas",
    "Tipo de documento",
    "Número de documento",
    "Unidad productiva",
    "Tipo de cliente",
    "Tamaño",
    "Departamento de la unidad",
    "Monto cobrado (S/)",
]
# values_list() paths, in the order of HEADERS.
_COLUMNS = [
    "report__code",
    "report__center__name",
    "report__status",
    "report__category__name",
    "report__catalogue_service__name",
    "report__chain__name",
    "report__start_date",
    "report__end_date",
    "report__delivery_district__name",
    "report__is_free",
    "report__programme__name",
    "report__participants",
    "report__hours",
    "unit__document_type",
    "unit__document_number",
    "_unit_name",
    "unit__client_type",
    "unit__size_class",
    "unit__department__name",
    "amount",
]
_LABELS: dict[str, dict[Any, Any]] = {
    "report__status": dict(ReportStatus.choices),
    "unit__document_type": {d.value: d.label for d in DocumentType},
    "unit__client_type": dict(ClientType.choices),
    "unit__size_class": dict(SizeClass.choices),
}
_CHUNK = 2000


def export_rows(reports: QuerySet[ServiceReport], user=None) -> Iterator[list[CellValue]]:
    """One row per service of `reports`, in HEADERS order, read in chunks. For `user`, a
    unit whose details they may not see is named as typed on the report (accounts.access);
    user=None (the system) gets the stored names."""
    services = (
        Service.objects.filter(report__in=reports.values("pk"))
        .annotate(_unit_name=_unit_name(user))
        .order_by("report__end_date", "report__center__name", "report__code", "unit__name")
        .values_list(*_COLUMNS)
    )
    labels = [_LABELS.get(column) for column in _COLUMNS]
    for values in services.iterator(chunk_size=_CHUNK):
        row: list[CellValue] = []
        for value, names in zip(values, labels, strict=True):
            if names is not None:
                value = str(names.get(value, value))
            elif isinstance(value, bool):
                value = "Sí" if value else "No"
            row.append(value)
        yield row


def _unit_name(user) -> Any:
    if user is None:
        return F("unit__name")
    visible = units_for_user(user).values("pk")
    return Case(When(unit__in=visible, then=F("unit__name")), default=F("typed_name"))


def export_filename(reports: QuerySet[ServiceReport], fmt: Format) -> str:
    """`informes-<center code>-<date>.<fmt>` for one center, `informes-red-...` otherwise."""
    codes = list(reports.order_by().values_list("center__code", flat=True).distinct()[:2])
    who = codes[0] if len(codes) == 1 else "red"
    return f"informes-{who}-{timezone.localdate():%Y%m%d}.{fmt}"


def write_export(target, reports: QuerySet[ServiceReport], fmt: Format, user=None) -> None:
    """Write the export of `reports` to a binary file object in the given format."""
    if fmt == "xlsx":
        write_xlsx(target, {"Servicios": (HEADERS, export_rows(reports, user))})
    else:
        write_csv(target, HEADERS, export_rows(reports, user))


def export_response(
    user, reports: QuerySet[ServiceReport], fmt: str
) -> FileResponse | StreamingHttpResponse:
    """An HTTP download of the `reports` the user may reach, for a user who may export.

    CSV is streamed as rows are read. An xlsx file is a zip whose index comes last, so it is
    written (streaming, constant memory) to a temporary file that is then sent in blocks.
    Raises PermissionDenied for users without an export role.
    """
    if not can_export_records(user):
        raise PermissionDenied("Su rol no permite exportar registros.")
    if fmt not in FORMATS:
        raise ValueError(f"Formato de exportación desconocido: {fmt}")
    chosen: Format = "csv" if fmt == "csv" else "xlsx"
    reports = scope(reports, user)
    filename = export_filename(reports, chosen)
    if chosen == "csv":
        response = StreamingHttpResponse(
            csv_chunks(HEADERS, export_rows(reports, user)), content_type=CONTENT_TYPES["csv"]
        )
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    write_export(spool, reports, chosen, user)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[chosen]
    )
