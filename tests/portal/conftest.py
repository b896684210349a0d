from decimal import Decimal

import pytest

from citesmart.network.models import CatalogueService, Center, Programme, ServiceCategory


@pytest.fixture
def catalogue(db):
    """A small catalogue: a paid test in Lima, a free energy audit in Trujillo."""
    madera = Center.objects.get(code="citemadera-y-del-mueble-lima")
    cuero = Center.objects.get(code="citecuero-y-calzado-trujillo")
    programme = Programme.objects.get(code="economia-circular-eficiencia-energetica")
    return [
        CatalogueService.objects.create(
            center=madera,
            name="Ensayo de humedad de la madera",
            description="Contenido de humedad",
            category=ServiceCategory.objects.get(code="ensayos-laboratorio"),
            tariff=Decimal("85.50"),
            unit_of_sale="por muestra",
        ),
        CatalogueService.objects.create(
            center=cuero,
            name="Diagnóstico de eficiencia energética",
            description="Curtiembres",
            category=ServiceCategory.objects.get(code="asistencia-tecnica"),
            is_free=True,
            programme=programme,
        ),
    ]


@pytest.fixture(autouse=True)
def _private_read_model(read_model):
    """Every portal test reads its own analytics read model, built from its own records."""
    return read_model
