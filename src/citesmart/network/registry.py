"""The public registry held in memory by each process: centers, catalogue, choice lists.

Every public page shows the registry, and reading it from the database took ~100 ms of ORM
work per catalogue page. Each process instead keeps one `Registry`, built with ~10 queries,
and reuses it while it is current: one indexed single-row query per request reads the newest
`RegistryChange` token and compares it with the one the registry was built from.

Any save or delete of a network or geo row, and any change of their many-to-many links, adds
a `RegistryChange` row in the writer's transaction (signals connected in NetworkConfig.ready).
So a back-office edit shows on every server and worker at their next request after it
commits. Writes that bypass model signals (bulk_create, QuerySet.update, raw SQL) must call
`note_change()` themselves, as ops.backup does; geo.loading, below the registry, sends
`geography_loaded`, which `connect_signals` turns into a change.

The registry also depends on today's date (catalogue validity) and is rebuilt when it
changes. Its objects are shared by concurrent requests: read them, never modify them.
"""

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from uuid import uuid4

from django.apps import apps
from django.db import connection
from django.db.models import Model, Prefetch
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from citesmart.geo.loading import geography_loaded
from citesmart.geo.models import Department
from citesmart.lib.lru import LRU
from citesmart.lib.text import fold
from citesmart.network.models import (
    CatalogueService,
    Center,
    CenterModality,
    CenterName,
    CenterTerritory,
    Chain,
    LegalAct,
    Programme,
    RegistryChange,
    ServiceCategory,
)

WATCHED_APPS = ("network", "geo")
T = TypeVar("T")


# --- version -------------------------------------------------------------------------------


def version() -> str:
    """The newest change token ("" before the first recorded change). Every public page
    asks: one plain query (through the ORM it took twice as long)."""
    table = RegistryChange._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {table} ORDER BY id DESC LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else ""


def note_change(*, what: str = "") -> None:
    """A new registry version, visible with the caller's transaction (see module doc)."""
    RegistryChange.objects.create(token=uuid4().hex, model=what[:100])


def _saved_or_deleted(sender: type[Model], **kwargs: Any) -> None:
    note_change(what=sender._meta.label)


def _geography_loaded(sender: type[Model], what: str = "", **kwargs: Any) -> None:
    note_change(what=what)


def _links_changed(sender: type[Model], action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        note_change(what=sender._meta.label)


def watched_models() -> list[type[Model]]:
    return [
        model
        for label in WATCHED_APPS
        for model in apps.get_app_config(label).get_models()
        if model is not RegistryChange
    ]


def connect_signals() -> None:
    """Called from NetworkConfig.ready(). Senders are named one by one: a receiver for every
    model would stop Django's fast (signal-free) deletes of records elsewhere."""
    for model in watched_models():
        uid = f"registry-{model._meta.label}"
        post_save.connect(_saved_or_deleted, sender=model, dispatch_uid=uid)
        post_delete.connect(_saved_or_deleted, sender=model, dispatch_uid=uid)
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            m2m_changed.connect(_links_changed, sender=through, dispatch_uid=f"{uid}-{m2m.name}")
    geography_loaded.connect(_geography_loaded, dispatch_uid="registry-geography-loaded")


# --- the registry --------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A catalogue service with what the search matches it on."""

    service: CatalogueService
    text: str  # folded name, description, center and category
    chains: frozenset[str]  # the service's and its center's chain codes
    territory: frozenset[str]  # department codes in its center's scope today


class Registry:
    """The registry as of one version and one day (see module doc). Read-only."""

    def __init__(
        self,
        *,
        version: str,
        day: date,
        centers: list[Center],
        catalogue: list[CatalogueService],
        departments: dict[str, Department],
        chains: dict[str, Chain],
        categories: dict[str, ServiceCategory],
        programmes: dict[str, Programme],
    ) -> None:
        self.version, self.day = version, day
        self.centers = centers  # every center by name, with seat, parent, chains, territory...
        self.catalogue = catalogue  # public, valid on `day`, by category order then name
        self.departments = departments  # by code, without boundaries
        self.chains = chains  # by name
        self.categories = categories  # the active ones, in ITP's order
        self.programmes = programmes  # by name
        self._memos: dict[str, LRU[Any]] = {}  # what the portal renders from this registry alone
        # Search order when no department gives distances: center name, service name.
        self.entries = sorted(
            (_entry(s) for s in catalogue), key=lambda e: (e.service.center.name, e.service.name)
        )
        self._by_code = {c.code: c for c in centers}
        self._by_pk = {s.pk: s for s in catalogue}
        self._catalogue_of = _group(catalogue, lambda s: s.center_id)
        self._units_of = _group(centers, lambda c: c.parent_id)

    def memo(self, name: str, *, size: int = 256) -> LRU[Any]:
        """A bounded map named `name`, dropped with this registry (e.g. rendered fragments):
        `.get(key, build)`."""
        return self._memos.setdefault(name, LRU(size))  # atomic: racing threads share one

    def center(self, code: str) -> Center | None:
        return self._by_code.get(code)

    def service(self, pk: int) -> CatalogueService | None:
        return self._by_pk.get(pk)

    def center_catalogue(self, center: Center) -> list[CatalogueService]:
        return self._catalogue_of.get(center.pk, [])

    def technical_units(self, center: Center) -> list[Center]:
        """By name, like `centers`."""
        return self._units_of.get(center.pk, [])

    def chains_with_centers(self) -> list[Chain]:
        used = {chain.pk for center in self.centers for chain in center.chains.all()}
        return [chain for chain in self.chains.values() if chain.pk in used]


def _group(items: Iterable[T], key: Callable[[T], Any]) -> dict[Any, list[T]]:
    groups: dict[Any, list[T]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return dict(groups)


def _entry(service: CatalogueService) -> Entry:
    center = service.center
    text = f"{service.name} {service.description} {center.name} {service.category.name}"
    chains = [c.code for c in service.chains.all()] + [c.code for c in center.chains.all()]
    return Entry(
        service,
        fold(text),
        frozenset(chains),
        center.scope_codes,
    )


_held: Registry | None = None
_building = threading.Lock()


def current() -> Registry:
    """The registry as of the newest change and today (one query when nothing changed)."""
    global _held
    token, today = version(), timezone.localdate()
    held = _held
    if held is not None and held.version == token and held.day == today:
        return held
    with _building:
        held = _held
        if held is None or held.version != token or held.day != today:
            held = _held = _load(token, today)
    return held


def forget() -> None:
    """Drop this process's registry: the next request builds it again (benchmarks)."""
    global _held
    _held = None


def _load(token: str, today: date) -> Registry:
    no_boundaries = Department.objects.defer("boundary")
    centers: list[Center] = list(
        Center.objects.select_related("parent", "department", "district")  # type: ignore[no-redef]  # to_attr: declared on Center
        .defer("department__boundary")
        .prefetch_related(
            "chains",
            Prefetch(
                "scope",
                queryset=CenterTerritory.objects.select_related("department")
                .defer("department__boundary")
                .order_by("since", "department__name"),
                to_attr="scope_periods",
            ),
            Prefetch(
                "modality_periods",
                queryset=CenterModality.objects.select_related("modality").order_by("since"),
                to_attr="modality_list",
            ),
            Prefetch("legal_acts", queryset=LegalAct.objects.order_by("date"), to_attr="acts"),
            Prefetch("names", queryset=CenterName.objects.order_by("valid_from"), to_attr="dated"),
        )
        .order_by("name")
    )
    by_id = {c.pk: c for c in centers}
    for center in centers:  # what holds today (the registry is rebuilt every day)
        center.scope_codes = frozenset(
            p.department_id for p in center.scope_periods if p.valid_on(today)
        )
        center.current_modalities = [m.modality for m in center.modality_list if m.valid_on(today)]
    catalogue = list(
        CatalogueService.objects.filter(is_public=True)
        .exclude(valid_to__lt=today)
        .exclude(valid_from__gt=today)
        .select_related("category", "programme")
        .prefetch_related("chains")
        .order_by("category__order", "name")
    )
    for service in catalogue:
        service.center = by_id[service.center_id]
    return Registry(
        version=token,
        day=today,
        centers=centers,
        catalogue=catalogue,
        departments={d.code: d for d in no_boundaries.order_by("code")},
        chains={c.code: c for c in Chain.objects.order_by("name")},
        categories={c.code: c for c in ServiceCategory.objects.filter(is_active=True)},
        programmes={p.code: p for p in Programme.objects.order_by("name")},
    )
