"""Every write to the registry or the geography names a new registry version."""

import pytest
from django.contrib.auth.models import Group
from django.db import transaction

from citesmart.geo.loading import load_geography
from citesmart.geo.models import Department
from citesmart.network import registry
from citesmart.network.models import Center, Chain, Programme

pytestmark = pytest.mark.django_db


def changes_after(write) -> bool:
    before = registry.version()
    write()
    return registry.version() != before


def test_saves_deletes_and_links_of_the_registry_name_a_new_version(center_a):
    chain = Chain.objects.get(code="cuero")
    assert changes_after(lambda: Programme.objects.create(code="nuevo", name="Nuevo"))
    assert changes_after(lambda: Programme.objects.filter(code="nuevo").delete())
    assert changes_after(lambda: center_a.chains.add(chain))
    assert changes_after(lambda: center_a.chains.remove(chain))
    assert changes_after(lambda: center_a.territory.clear())
    assert changes_after(lambda: Department.objects.get(code="15").save())
    assert changes_after(load_geography)  # bulk upserts: no signals, noted explicitly


def test_other_writes_do_not_touch_the_registry_version():
    assert not changes_after(lambda: Group.objects.create(name="analistas"))


def test_a_rolled_back_write_never_brings_its_version_back(center_a):
    held = registry.current()
    try:
        with transaction.atomic():
            Center.objects.filter(pk=center_a.pk).update(name="Nunca guardado")
            registry.note_change(what="test")
            assert registry.current().center(center_a.code).name == "Nunca guardado"
            raise RuntimeError
    except RuntimeError:
        pass
    assert registry.version() == held.version
    assert registry.current().center(center_a.code).name == center_a.name
