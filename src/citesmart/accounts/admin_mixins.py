"""Admin building blocks that apply accounts.access scoping to every back-office screen."""

from collections.abc import Mapping
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db import models
from django.http import Http404

from citesmart.accounts.access import accessible_centers, is_national, scope

# Links typed without a scheme ("itp.gob.pe") are taken as https, as Django 6 will do.
URL_FIELDS: Mapping[type[models.Field], Mapping[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


class CenterScopedAdmin(admin.ModelAdmin):
    """Rows, choices and object pages limited to the centers the user may reach.

    `center_field` is the path from the model to its Center ("" for Center itself). An
    object outside the scope answers 404, so a crafted URL cannot even confirm it exists.
    """

    center_field = "center"
    formfield_overrides = URL_FIELDS
    national_only_fields: tuple[str, ...] = ()

    def get_queryset(self, request):
        return scope(super().get_queryset(request), request.user, center_field=self.center_field)

    def get_changelist_instance(self, request):
        _check_date_hierarchy(request, self.date_hierarchy)
        return super().get_changelist_instance(request)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No existe o no tiene acceso a este registro.")
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is accessible_centers(request.user).model:
            kwargs["queryset"] = accessible_centers(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not is_national(request.user):
            fields += [f for f in self.national_only_fields if f not in fields]
        return fields


def _check_date_hierarchy(request, field: str | None) -> None:
    """A year, month or day typed in the URL that no calendar has is a wrong address (the
    list answers with its "invalid filter" notice), not an overflow deep in the database."""
    if not field:
        return
    for part, digits in (("year", 4), ("month", 2), ("day", 2)):
        value = request.GET.get(f"{field}__{part}")
        if value is not None and not (value.isdigit() and 0 < len(value) <= digits):
            raise IncorrectLookupParameters(f"{part}: {value[:20]}")


class ScopedInline:
    """Inline choices limited the same way (mix into TabularInline/StackedInline)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is accessible_centers(request.user).model:
            kwargs["queryset"] = accessible_centers(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
