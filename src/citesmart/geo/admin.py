from django.contrib import admin

from citesmart.geo.models import Department, District, Province


class ReadOnlyReferenceAdmin(admin.ModelAdmin):
    """Ubigeo is reference data loaded from INEI files: browse it, never edit it by hand."""

    search_fields = ["code", "name", "search_name"]
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(ReadOnlyReferenceAdmin):
    list_display = ["code", "name", "capital", "iso_3166_2"]
    exclude = ["boundary"]


@admin.register(Province)
class ProvinceAdmin(ReadOnlyReferenceAdmin):
    list_display = ["code", "name", "department", "region", "capital"]
    list_filter = ["department"]
    list_select_related = ["department"]
    exclude = ["boundary"]


@admin.register(District)
class DistrictAdmin(ReadOnlyReferenceAdmin):
    list_display = ["code", "name", "province", "department", "capital"]
    list_filter = ["department"]
    list_select_related = ["province", "department"]
