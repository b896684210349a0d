"""The entry screen: a service report and its attended units on one form.

The report form owns a formset of attended units, each found by its identity document
(units.queries.find_unit) or created on the spot (records.unit_actions.get_or_create_unit). Saving
goes through records.actions.record_service_report, and so does validation: the form runs
the action inside a savepoint that is always rolled back, and shows the action's Spanish
errors on the fields they name. The same rules thus apply on this screen, in the importer
and in the API, and nothing is half-written.
"""

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction

from citesmart.lib.identity import (
    DocumentType,
    InvalidDocument,
    clean_document,
    dni_from_ruc,
    is_natural_person_ruc,
)
from citesmart.network.models import Center
from citesmart.records.actions import AttendedUnit, RecordResult, record_service_report
from citesmart.records.district_field import UNIT_SEARCH_URL, DistrictField
from citesmart.records.models import AuditEntry, ReportStatus, ServiceReport
from citesmart.records.queries import units_for_user
from citesmart.records.unit_actions import get_or_create_unit
from citesmart.units.models import ClientType, ProductiveUnit
from citesmart.units.queries import find_unit

UNITS_PREFIX = "unidades"
CENTS = Decimal("0.01")
TABLE_HAS_ERRORS = "Revise las unidades productivas atendidas: hay errores en la tabla."
NO_UNITS = "El informe debe atender al menos a una unidad productiva."


class _DryRun(Exception):
    """Raised to roll back the savepoint of a validation run."""


class EntryRefused(Exception):
    """The action refused a form that had passed its checks (the data changed in between,
    e.g. the month was closed): the admin shows the form again with `error`."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(str(error))
        self.error = error


class _RowError(Exception):
    def __init__(self, form: "AttendedUnitForm", error: ValidationError) -> None:
        super().__init__(str(error))
        self.form, self.error = form, error


def add_errors(form: forms.Form, error: ValidationError) -> None:
    """Put an action's {field: message} errors on the form's fields, the rest on top."""
    for name, messages in error.update_error_dict({}).items():
        form.add_error(name if name in form.fields else None, messages)


class AttendedUnitForm(forms.Form):
    """One attended unit: its document, data used only if it is new, and the amount."""

    document_type = forms.ChoiceField(
        label="Tipo de documento",
        choices=[(kind.value, kind.label) for kind in DocumentType],
        initial=DocumentType.RUC.value,
    )
    document_number = forms.CharField(label="Número", max_length=20, required=False)
    name = forms.CharField(label="Razón social o nombre", max_length=250, required=False)
    client_type = forms.ChoiceField(
        label="Tipo de cliente", choices=[("", "—"), *ClientType.choices], required=False
    )
    district = DistrictField(label="Distrito", required=False)
    amount = forms.DecimalField(label="Monto (S/)", max_digits=12, decimal_places=2, required=False)

    def __init__(
        self,
        *args: Any,
        known_units: list[ProductiveUnit] | None = None,
        viewer=None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.center: Center | None = None  # the report's center, set before validation
        self.known_units = known_units or []
        self.viewer = viewer  # whose scope decides whether a found unit's name may be shown
        # Suggestions of the units the viewer may see (suggest.js); picking one sets the type.
        self.fields["document_number"].widget.attrs.update(
            {
                "data-suggest": str(UNIT_SEARCH_URL),
                "data-suggest-kind": f"id_{self.add_prefix('document_type')}",
                "autocomplete": "off",
                "inputmode": "text",
            }
        )

    @property
    def registered_unit(self) -> ProductiveUnit | None:
        """The unit this row stands for, once found (or as first shown on a saved report)."""
        cleaned = getattr(self, "cleaned_data", None)
        if cleaned is not None:
            return cleaned.get("unit")
        return None if self.is_bound else self.initial.get("unit")

    @property
    def visible_unit(self) -> ProductiveUnit | None:
        """The found unit if the viewer may see its details (accounts.access); otherwise
        None, and the row reads as a new unit: typing a DNI or RUC reveals nothing."""
        unit = self.registered_unit
        return unit if unit is not None and may_see_unit(self.viewer, unit) else None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        kind = DocumentType(data.get("document_type") or DocumentType.RUC)
        try:
            data["document_number"] = clean_document(kind, data.get("document_number"))
        except InvalidDocument as error:
            self.add_error("document_number", error.message)
            return data
        data["amount"] = (data.get("amount") or Decimal("0")).quantize(CENTS)
        data["unit"] = unit = self._find(kind, data)
        # A unit the viewer may not see is asked for like a new one (unless it is already
        # on this report, where its name as typed then is kept).
        if unit is None or (unit not in self.known_units and not may_see_unit(self.viewer, unit)):
            self._require_new_unit_data(kind, data)
        return data

    def _find(self, kind: DocumentType, data: dict[str, Any]) -> ProductiveUnit | None:
        name = (data.get("name") or "").strip()
        if kind == DocumentType.NONE:
            # A unit without document already on this report keeps being that unit.
            for unit in self.known_units:
                if unit.document_type == kind and unit.name.casefold() == name.casefold():
                    return unit
        return find_unit(
            kind,
            data["document_number"],
            name=name,
            district=data.get("district"),
            center=self.center,
        )

    def _require_new_unit_data(self, kind: DocumentType, data: dict[str, Any]) -> None:
        if not (data.get("name") or "").strip():
            self.add_error("name", "Unidad productiva nueva: indique su razón social o nombre.")
        if not data.get("client_type"):
            self.add_error("client_type", "Unidad productiva nueva: indique el tipo de cliente.")
        if kind == DocumentType.NONE and data.get("district") is None:
            self.add_error("district", "Una unidad sin documento se identifica por su distrito.")

    def identity(self) -> tuple[str, ...]:
        """What makes two rows the same unit (a RUC 10 and its DNI are one person)."""
        data = self.cleaned_data
        kind, number = data["document_type"], data["document_number"]
        if data.get("unit") is not None:
            return ("unidad", str(data["unit"].pk))
        if kind == DocumentType.DNI:
            return ("persona", number)
        if kind == DocumentType.RUC and is_natural_person_ruc(number):
            return ("persona", dni_from_ruc(number))
        if kind == DocumentType.NONE:
            return (kind, data["name"].strip().casefold(), str(data["district"].pk))
        return (kind, number)

    def attended_unit(self, *, center: Center, actor) -> AttendedUnit:
        """The row as the action wants it; a new unit (or a RUC 10 upgrade) is written."""
        data = self.cleaned_data
        unit = data["unit"]
        upgrade = data["document_type"] == DocumentType.RUC and (
            unit is not None and unit.document_type == DocumentType.DNI
        )
        if unit is None or upgrade:
            try:
                unit, _created = get_or_create_unit(
                    document_type=data["document_type"],
                    document_number=data["document_number"],
                    name=data["name"],
                    client_type=data["client_type"] or ClientType.OTHER,
                    district=data["district"],
                    center=center,
                    actor=actor,
                    source=AuditEntry.Source.SCREEN,
                )
            except ValidationError as error:
                raise _RowError(self, error) from error
        return AttendedUnit(unit=unit, amount=data["amount"], typed_name=data.get("name") or "")


class BaseAttendedUnitFormSet(forms.BaseFormSet):
    def attended_forms(self) -> list[AttendedUnitForm]:
        """Rows that are filled in and not marked for removal."""
        return [
            form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self) -> None:
        if any(self.errors):
            return
        rows = self.attended_forms()
        if not rows:
            raise ValidationError(NO_UNITS)
        first_row: dict[tuple[str, ...], int] = {}
        for form in rows:
            number = self.forms.index(form) + 1
            seen = first_row.setdefault(form.identity(), number)
            if seen != number:
                form.add_error(
                    "document_number",
                    f"La unidad productiva ya figura en la fila {seen} de este informe.",
                )


AttendedUnitFormSet = cast(
    type[BaseAttendedUnitFormSet],
    forms.formset_factory(
        AttendedUnitForm, formset=BaseAttendedUnitFormSet, extra=3, can_delete=True
    ),
)


class ServiceReportForm(forms.ModelForm):
    """The report fields; `units` holds the attended units. The admin binds `actor`, and
    `refusal` when it shows the form again after the action refused it (EntryRefused)."""

    actor = None
    refusal: ValidationError | None = None

    class Meta:
        model = ServiceReport
        fields = [
            "center",
            "code",
            "catalogue_service",
            "category",
            "chain",
            "programme",
            "is_free",
            "start_date",
            "end_date",
            "delivery_district",
            "participants",
            "hours",
            "notes",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "category" in self.fields:
            self.fields["category"].required = False
            self.fields[
                "category"
            ].help_text = "Si la deja vacía, se toma la del servicio del catálogo."
        services = self._services()
        visible = visible_unit_ids(self.actor, [service.unit for service in services])
        self.units: BaseAttendedUnitFormSet = AttendedUnitFormSet(
            self.data if self.is_bound else None,
            prefix=UNITS_PREFIX,
            initial=[_row_initial(service, service.unit_id in visible) for service in services],
            form_kwargs={
                "known_units": [service.unit for service in services],
                "viewer": self.actor,
            },
        )
        if services:
            self.units.extra = 1

    @property
    def media(self) -> forms.Media:
        return super().media + self.units.media

    def _services(self) -> list:
        if self.instance.pk is None:
            return []
        return list(
            self.instance.services.select_related("unit", "unit__district").order_by("unit__name")
        )

    @property
    def center(self) -> Center | None:
        if self.instance.pk is not None:
            return self.instance.center
        return self.cleaned_data.get("center")

    @property
    def code(self) -> str:
        if self.instance.pk is not None:
            return self.instance.code
        return (self.cleaned_data.get("code") or "").strip()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for form in self.units.forms:
            form.center = self.center
        units_valid = self.units.is_valid()
        if not units_valid:
            self.add_error(None, TABLE_HAS_ERRORS)
        if self.errors or self.center is None:
            return data
        if self.refusal is not None:
            self._show_action_errors(self.refusal)
            return data
        if self.instance.pk is None and self._code_taken():
            self.add_error("code", "Ya existe un informe con ese código en el centro.")
            return data
        self._dry_run()
        return data

    def _code_taken(self) -> bool:
        return ServiceReport.objects.filter(center=self.center, code=self.code).exists()

    def _dry_run(self) -> None:
        try:
            with transaction.atomic():
                self.save_entry()
                raise _DryRun
        except _DryRun:
            pass
        except _RowError as row_error:
            add_errors(row_error.form, row_error.error)
            self.add_error(None, TABLE_HAS_ERRORS)
        except ValidationError as error:
            self._show_action_errors(error)

    def _show_action_errors(self, error: ValidationError) -> None:
        for name, messages in error.update_error_dict({}).items():
            rows = [f for f in self.units.attended_forms() if f.cleaned_data["amount"] != 0]
            if name == "amount" and rows:
                for form in rows:
                    form.add_error("amount", messages)
                self.add_error(None, TABLE_HAS_ERRORS)
            else:
                self.add_error(name if name in self.fields else None, messages)

    def save_entry(self, *, refusing: bool = False) -> RecordResult:
        """Record the report and its attended units through the action (on valid data).
        `refusing`: a refusal of the action is raised as EntryRefused."""
        if not refusing:
            return self._record()
        try:
            return self._record()
        except _RowError as row_error:
            raise EntryRefused(row_error.error) from row_error
        except ValidationError as error:
            raise EntryRefused(error) from error

    def _record(self) -> RecordResult:
        data, center = self.cleaned_data, self.center
        assert center is not None
        attended = [
            form.attended_unit(center=center, actor=self.actor)
            for form in self.units.attended_forms()
        ]
        return record_service_report(
            center=center,
            code=self.code,
            start_date=data["start_date"],
            end_date=data["end_date"],
            units=attended,
            category=data.get("category"),
            catalogue_service=data.get("catalogue_service"),
            chain=data.get("chain"),
            delivery_district=data.get("delivery_district"),
            status=self.instance.status if self.instance.pk else ReportStatus.REGISTERED,
            is_free=data.get("is_free", False),
            programme=data.get("programme"),
            participants=data.get("participants"),
            hours=data.get("hours"),
            notes=data.get("notes", ""),
            actor=self.actor,
            source=AuditEntry.Source.SCREEN,
        )


def may_see_unit(viewer, unit: ProductiveUnit) -> bool:
    return unit.pk in visible_unit_ids(viewer, [unit])


def visible_unit_ids(viewer, units: list[ProductiveUnit]) -> set[int]:
    """Ids of `units` whose details `viewer` may see (viewer None: the system, all)."""
    ids = {unit.pk for unit in units}
    if viewer is None or not ids:
        return ids
    return set(units_for_user(viewer).filter(pk__in=ids).values_list("pk", flat=True))


def _row_initial(service, visible: bool) -> dict[str, Any]:
    """A saved row: the unit's data, or, for a unit the viewer may not see, only the
    document and the name typed on this report."""
    unit = service.unit
    return {
        "unit": unit,
        "document_type": unit.document_type,
        "document_number": unit.document_number,
        "name": unit.name if visible else service.typed_name,
        "client_type": unit.client_type if visible else "",
        "district": unit.district if visible else None,
        "amount": service.amount,
    }


class CancelReportForm(forms.Form):
    """The reason asked before cancelling one or more reports."""

    reason = forms.CharField(
        label="Motivo de la anulación",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": "Indique el motivo de la anulación."},
    )


class MergeUnitsForm(forms.Form):
    """Which of two units survives a merge, and why."""

    survivor = forms.ModelChoiceField(
        label="Unidad que se conserva",
        queryset=ProductiveUnit.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    reason = forms.CharField(
        label="Motivo de la fusión",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": "Indique el motivo de la fusión."},
    )

    def __init__(self, *args: Any, units: list[ProductiveUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pair = units
        survivor = cast(forms.ModelChoiceField, self.fields["survivor"])
        survivor.queryset = ProductiveUnit.objects.filter(pk__in=[unit.pk for unit in units])

    def duplicate(self) -> ProductiveUnit:
        survivor = self.cleaned_data["survivor"]
        return next(unit for unit in self.pair if unit.pk != survivor.pk)
