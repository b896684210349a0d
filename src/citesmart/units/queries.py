"""Finding a productive unit by its identity, as the records, the importer and the API do."""

from citesmart.lib.identity import DocumentType, dni_from_ruc, is_natural_person_ruc
from citesmart.units.models import ProductiveUnit


def survivor(unit: ProductiveUnit) -> ProductiveUnit:
    """Follow merges to the unit that now stands for this one."""
    seen = set()
    while unit.merged_into_id is not None and unit.pk not in seen:
        seen.add(unit.pk)
        unit = unit.merged_into
    return unit


def find_unit(
    document_type: str, document_number: str, *, name: str = "", district=None, center=None
) -> ProductiveUnit | None:
    """The unit with this (already cleaned) document; RUC 10 and DNI find each other.

    Units without a document are found by exact name within the same district and center.
    A live unit wins; failing one, a unit merged into another stands for its survivor, so a
    document seen before a merge still leads to the unit that now holds its services.
    """
    units = ProductiveUnit.objects.all()
    found = _find(
        units.filter(merged_into__isnull=True),
        document_type,
        document_number,
        name,
        district,
        center,
    )
    if found is None:
        merged = _find(
            units.filter(merged_into__isnull=False),
            document_type,
            document_number,
            name,
            district,
            center,
        )
        found = survivor(merged) if merged is not None else None
    return found


def _find(units, document_type, document_number, name, district, center):
    if document_type == DocumentType.NONE:
        return units.filter(
            document_type=DocumentType.NONE,
            name__iexact=name.strip(),
            district=district,
            registered_by=center,
        ).first()
    found = units.filter(document_type=document_type, document_number=document_number).first()
    if found is None and document_type == DocumentType.DNI:
        found = units.filter(person_dni=document_number).first()
    if (
        found is None
        and document_type == DocumentType.RUC
        and is_natural_person_ruc(document_number)
    ):
        found = units.filter(person_dni=dni_from_ruc(document_number)).first()
    return found
