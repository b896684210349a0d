from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from citesmart.network.models import CatalogueService, Center, Programme, ServiceCategory


def catalogue_service(center, **fields) -> CatalogueService:
    defaults = {
        "name": "Análisis de cuero",
        "category": ServiceCategory.objects.first(),
        "tariff": Decimal("120"),
    }
    return CatalogueService(center=center, **(defaults | fields))


def test_center_codes_are_unique(center_a):
    duplicate = Center(code=center_a.code, name="Otro", kind=Center.Kind.PUBLIC)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "code" in error.value.message_dict


def test_a_center_cannot_be_its_own_ancestor(center_a):
    unit = Center.objects.get(name__startswith="Unidad Técnica Tacna")
    unit.parent = unit
    with pytest.raises(ValidationError, match="no puede depender de sí mismo"):
        unit.full_clean()


def test_a_technical_unit_cannot_hang_from_another_technical_unit(center_a):
    tacna = Center.objects.get(name__startswith="Unidad Técnica Tacna")
    ambo = Center.objects.get(name="UTagroindustrial Ambo")
    ambo.parent = tacna
    with pytest.raises(ValidationError, match="no de otra unidad técnica"):
        ambo.full_clean()


def test_only_technical_units_have_a_parent(center_a, center_b):
    center_b.parent = center_a
    with pytest.raises(ValidationError, match="Solo una unidad técnica"):
        center_b.full_clean()


def test_a_programme_cannot_end_before_it_starts(db):
    programme = Programme(code="p", name="P", starts_on="2026-01-01", ends_on="2025-12-31")
    with pytest.raises(ValidationError, match="no puede terminar antes de empezar"):
        programme.full_clean()
    with pytest.raises(IntegrityError):
        programme.save()


def test_tariffs_are_not_negative(center_a):
    with pytest.raises(ValidationError) as error:
        catalogue_service(center_a, tariff=Decimal("-1")).full_clean()
    assert "tariff" in error.value.message_dict


def test_a_free_catalogue_service_has_no_tariff(center_a):
    with pytest.raises(ValidationError, match="gratuito no tiene tarifa"):
        catalogue_service(center_a, is_free=True).full_clean()
    with pytest.raises(IntegrityError):
        catalogue_service(center_a, is_free=True).save()


def test_a_paid_catalogue_service_needs_a_tariff(center_a):
    with pytest.raises(ValidationError, match="Indique la tarifa"):
        catalogue_service(center_a, tariff=None).full_clean()


def test_a_free_service_under_a_programme_is_valid(center_a):
    programme = Programme.objects.get(code="economia-circular-eficiencia-energetica")
    service = catalogue_service(center_a, is_free=True, tariff=None, programme=programme)
    service.full_clean()
    service.save()
    assert str(programme.ends_on) == "2026-06-30"
