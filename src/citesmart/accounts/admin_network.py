"""The registry's back office (centers, catalogue, legal acts, chains, categories...).

Its pages are scoped by the staff's role and center (accounts.access, admin_mixins), so
they stand here, above the registry they edit: network itself imports no accounts code.
"""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from citesmart.accounts.access import is_national
from citesmart.accounts.admin_mixins import URL_FIELDS, CenterScopedAdmin
from citesmart.network.models import (
    CatalogueService,
    Center,
    CenterModality,
    CenterName,
    CenterTerritory,
    Chain,
    LegalAct,
    Modality,
    Programme,
    ServiceCategory,
)


@admin.register(Chain)
class ChainAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "center_count"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_centers=Count("centers"))

    @admin.display(description=_("centros"), ordering="_centers")
    def center_count(self, obj):
        return obj._centers


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    list_display = ["order", "name", "code", "is_active"]
    list_display_links = ["name"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "funders", "starts_on", "ends_on"]
    search_fields = ["name", "funders", "themes"]


@admin.register(Modality)
class ModalityAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name"]


class SourcedForm(forms.ModelForm):
    """A dated fact of the registry is only saved with what backs it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].required = True
        self.fields["source"].error_messages["required"] = _(
            "Indique la fuente: número de resolución, enlace o nota."
        )


class NationalOnlyInline(admin.TabularInline):
    """Dated facts ITP decides: national staff edit them, center staff only read them."""

    form = SourcedForm
    extra = 0

    def has_add_permission(self, request, obj=None):
        return is_national(request.user)

    def has_change_permission(self, request, obj=None):
        return is_national(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_national(request.user)


class TerritoryInline(NationalOnlyInline):
    model = CenterTerritory
    fields = ["department", "since", "until", "source"]
    autocomplete_fields = ["department"]


class ModalityInline(NationalOnlyInline):
    model = CenterModality
    fields = ["modality", "since", "until", "source"]


class CenterNameInline(admin.TabularInline):
    model = CenterName
    form = SourcedForm
    fields = ["name", "valid_from", "valid_to", "source"]
    extra = 0


class LegalActInline(admin.TabularInline):
    model = LegalAct
    formfield_overrides = URL_FIELDS
    extra = 0


class CatalogueInline(admin.TabularInline):
    model = CatalogueService
    fields = ["name", "category", "is_free", "tariff", "programme", "unit_of_sale", "is_public"]
    extra = 0
    show_change_link = True


class TechnicalUnitFilter(admin.SimpleListFilter):
    title = _("dependencia")
    parameter_name = "dependencia"

    def lookups(self, request, model_admin):
        return [("sin_matriz", _("Unidad técnica sin CITE registrado"))]

    def queryset(self, request, queryset):
        if self.value() == "sin_matriz":
            return queryset.filter(kind=Center.Kind.TECHNICAL_UNIT, parent__isnull=True)
        return queryset


@admin.register(Center)
class CenterAdmin(CenterScopedAdmin):
    center_field = ""
    list_display = ["name", "kind", "parent", "department", "district", "chain_list"]
    list_filter = ["kind", TechnicalUnitFilter, "department", "chains"]
    list_select_related = ["parent", "department", "district"]
    search_fields = ["name", "search_name", "code", "operator", "locality"]
    autocomplete_fields = ["parent", "district", "department"]
    filter_horizontal = ["chains"]
    inlines = [TerritoryInline, ModalityInline, CenterNameInline, LegalActInline, CatalogueInline]
    national_only_fields = (
        "code",
        "kind",
        "parent",
        "active_from",
        "active_to",
        "created_year",
        "source_url",
        "source_notes",
    )
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "parent", "operator"]}),
        (
            _("Sede"),
            {"fields": ["department", "district", "locality", "address", "latitude", "longitude"]},
        ),
        (_("Alcance"), {"fields": ["chains"]}),
        (_("Vigencia"), {"fields": ["created_year", "active_from", "active_to"]}),
        (_("Contacto público"), {"fields": ["email", "phone", "website"]}),
        (_("Fuente"), {"fields": ["source_url", "source_notes"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("cadenas"))
    def chain_list(self, obj):
        return ", ".join(chain.name for chain in obj.chains.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("chains")

    def has_delete_permission(self, request, obj=None):
        # A center is never deleted: its history of services must stay countable.
        return False


@admin.register(CatalogueService)
class CatalogueServiceAdmin(CenterScopedAdmin):
    list_display = ["name", "center", "category", "tariff_display", "programme", "is_public"]
    list_filter = ["category", "is_free", "is_public", "programme", "center__kind"]
    list_select_related = ["center", "category", "programme"]
    search_fields = ["name", "description", "center__name"]
    autocomplete_fields = ["center"]
    filter_horizontal = ["chains"]

    @admin.display(description=_("tarifa"), ordering="tariff")
    def tariff_display(self, obj):
        return _("Gratuito") if obj.is_free else f"S/ {obj.tariff:,.2f}"


@admin.register(LegalAct)
class LegalActAdmin(CenterScopedAdmin):
    list_display = ["center", "kind", "number", "date"]
    list_filter = ["kind"]
    search_fields = ["number", "summary", "center__name"]
    date_hierarchy = "date"
