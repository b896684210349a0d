"""Lookups of places by code or by name, ignoring accents and case."""

from citesmart.geo.models import Department, District, Province
from citesmart.lib.text import fold


def find_department(text: str) -> Department | None:
    """A department by 2-digit code, ISO code or name ("Ancash", "ÁNCASH", "02", "PE-ANC")."""
    text = (text or "").strip()
    if text.isdigit():
        return Department.objects.filter(code=text.zfill(2)).first()
    return (
        Department.objects.filter(search_name=fold(text)).first()
        or Department.objects.filter(iso_3166_2__iexact=text).first()
    )


def find_district_by_code(code: str) -> District | None:
    return District.objects.select_related("province", "department").filter(code=code).first()


def find_districts_by_name(name: str, *, department: Department | None = None) -> list[District]:
    """Districts whose name, or whose capital's name, matches (e.g. "Tingo María" -> Rupa-Rupa)."""
    folded = fold(name)
    districts = District.objects.select_related("province", "department")
    if department is not None:
        districts = districts.filter(department=department)
    by_name = list(districts.filter(search_name=folded))
    return by_name or [d for d in districts if fold(d.capital) == folded]


def find_place(code: str) -> Department | Province | District | None:
    """Any level by ubigeo code: 2, 4 or 6 digits."""
    if len(code) == 2:
        return Department.objects.filter(code=code).first()
    if len(code) == 4:
        return Province.objects.filter(code=code).first()
    return District.objects.filter(code=code).first() if len(code) == 6 else None
