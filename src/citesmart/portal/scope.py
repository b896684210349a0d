"""What the dashboard's filters select, in words: for its sentence, chart titles and files.

The filters are analytics.vocabulary's (the portal only names their values); the values'
names come from the in-memory registry (centers, chains, departments, categories,
programmes), the provinces of geo, and the choices that label the read model's own
dimension tables (client types, sizes, center kinds).
"""

from dataclasses import dataclass
from types import SimpleNamespace

from django.utils.text import slugify

from citesmart.analytics.filters import Filters
from citesmart.geo.models import Province
from citesmart.network import registry
from citesmart.network.models import Center
from citesmart.units.models import ClientType, SizeClass


def _choices(pairs) -> list[SimpleNamespace]:
    return [SimpleNamespace(code=code, name=str(name)) for code, name in pairs]


CLIENT_TYPES = _choices(ClientType.choices)
SIZE_CLASSES = _choices(SizeClass.choices)
CENTER_KINDS = _choices(
    [("publico", "CITE público"), ("privado", "CITE privado"), ("unidad_tecnica", "Unidad técnica")]
)
KIND_SUBJECTS = {"publico": "los CITE públicos", "privado": "los CITE privados"}
KIND_SUBJECTS["unidad_tecnica"] = "las unidades técnicas"


def provinces(current: registry.Registry) -> list[dict]:
    """[{department, provinces: [ns(code, name)]}], for the grouped filter (per registry)."""

    def build() -> list[dict]:
        rows = Province.objects.defer("boundary").order_by("department__name", "name")
        groups: dict[str, dict] = {}
        for p in rows.select_related("department").defer("department__boundary"):
            group = groups.setdefault(p.department_id, {"department": p.department.name})
            group.setdefault("provinces", []).append(SimpleNamespace(code=p.code, name=p.name))
        return list(groups.values())

    return current.memo("portal-provinces", size=1).get("all", build)


def _province_names(codes: tuple[str, ...], current: registry.Registry) -> dict[str, str]:
    return {
        p.code: p.name
        for group in provinces(current)
        for p in group["provinces"]
        if p.code in codes
    }


@dataclass
class Scope:
    """The selection in words (empty lists: no restriction)."""

    centers: list[str]
    kinds: list[str]
    departments: list[str]
    provinces: list[str]
    chains: list[str]
    categories: list[str]
    programmes: list[str]
    client_types: list[str]
    sizes: list[str]

    def parts(self) -> list[str]:
        """Short labels, one per filter: "Cusco", "Cadena: Textil camélidos"..."""
        named = [
            ("", self.centers),
            ("", self.kinds),
            ("", self.departments),
            ("Provincia: ", self.provinces),
            ("Cadena: ", self.chains),
            ("Categoría: ", self.categories),
            ("Programa: ", self.programmes),
            ("Clientes: ", self.client_types),
            ("Tamaño: ", self.sizes),
        ]
        return [prefix + _join(values) for prefix, values in named if values]


def describe(filters: Filters, *, fixed_center: bool = False) -> Scope:
    current = registry.current()

    def names(codes, table) -> list[str]:
        return [table[c].name if c in table else c for c in codes]

    center_names = {c.code: c for c in current.centers}
    return Scope(
        centers=[] if fixed_center else names(filters.centers, center_names),
        kinds=names(filters.center_kinds, {k.code: k for k in CENTER_KINDS}),
        departments=names(filters.departments, current.departments),
        provinces=list(_province_names(filters.provinces, current).values()),
        chains=names(filters.chains, current.chains),
        categories=names(filters.categories, current.categories),
        programmes=names(filters.programmes, current.programmes),
        client_types=names(filters.client_types, {k.code: k for k in CLIENT_TYPES}),
        sizes=names(filters.size_classes, {k.code: k for k in SIZE_CLASSES}),
    )


def _join(values: list[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " y " + values[-1]


def subject(scope: Scope, default: str) -> tuple[str, bool]:
    """Who brindó the services, and whether the verb is plural."""
    if scope.centers:
        return _join(scope.centers), len(scope.centers) > 1
    if scope.kinds:
        kinds = {k.name: k.code for k in CENTER_KINDS}
        return _join([KIND_SUBJECTS[kinds[k]] for k in scope.kinds]), True
    return default, False


def complements(scope: Scope) -> str:
    """What follows "N servicios a M unidades productivas": where, which chain..."""
    text = ""
    if scope.client_types or scope.sizes:
        text += " (" + "; ".join(p for p in _detail(scope) if p) + ")"
    if scope.provinces:
        text += f" de la provincia de {_join(scope.provinces)}"
    if scope.departments:
        text += f" de {_join(scope.departments)}"
    if scope.chains:
        text += f", en la cadena {_join(scope.chains)}"
    if scope.categories:
        text += f", en la categoría {_join(scope.categories)}"
    if scope.programmes:
        text += f", en el programa {_join(scope.programmes)}"
    return text


def _detail(scope: Scope) -> list[str]:
    return [
        _join(scope.client_types).lower() if scope.client_types else "",
        _join(scope.sizes).lower() if scope.sizes else "",
    ]


def slug(scope: Scope) -> str:
    """For file names: "cusco-textil-camelidos"."""
    return slugify("-".join(v for values in vars(scope).values() for v in values))[:80].strip("-")


def contradictions(filters: Filters) -> list[str]:
    """Filters that exclude each other, said in Spanish (the figures are then empty)."""
    current = registry.current()
    notes = []
    chosen = [c for c in current.centers if c.code in filters.centers]
    for center in chosen:
        if filters.departments and not center.scope_codes & set(filters.departments):
            where = _join([current.departments[d].name for d in filters.departments])
            scope = sorted(current.departments[d].name for d in center.scope_codes)
            notes.append(
                f"{center.name} no atiende {where} según su ámbito"
                + (f" ({_join(scope)})" if scope else "")
                + ": solo se cuentan los servicios que haya brindado a unidades de allí."
            )
        served = {chain.code for chain in center.chains.all()}
        if filters.chains and served and not served & set(filters.chains):
            names = _join([current.chains[c].name for c in filters.chains if c in current.chains])
            notes.append(
                f"La cadena {names} no figura entre las de {center.name}: solo se cuentan los "
                "servicios que haya brindado en ella."
            )
        kinds = set(filters.center_kinds)
        if kinds and center.kind not in kinds:
            notes.append(
                f"{center.name} es {Center.Kind(center.kind).label.lower()}, no "
                f"{_join([k.name.lower() for k in CENTER_KINDS if k.code in kinds])}: "
                "ningún servicio cumple ambos filtros."
            )
    if filters.provinces and filters.departments:
        outside = [p for p in filters.provinces if p[:2] not in filters.departments]
        if outside:
            names = _province_names(tuple(outside), current)
            notes.append(
                f"La provincia {_join(list(names.values()))} no está en el departamento "
                "elegido: ningún servicio cumple ambos filtros."
            )
    return notes
