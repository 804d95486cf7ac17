"""PlanPrice admin for superusers (admins use the Plan prices page, costdash.planning.price_views), as
pricing's ModelPrice admin: seeded rows are read-only and cannot be deleted.

To correct or extend a plan's price (a new price, a quote for Team or Enterprise), add a row: a later
effective_from wins, and on the same effective_from an admin row wins over the seeded one. Pages read
the table on every request, so a saved row shows at once.
"""
from django.contrib import admin

from .forms import PLAN_PRICE_FIELDS as _FIELDS
from .forms import PlanPriceForm
from .models import PlanPrice


@admin.register(PlanPrice)
class PlanPriceAdmin(admin.ModelAdmin):
    form = PlanPriceForm
    list_display = ("plan", "monthly_price", "effective_from", "as_of", "confidence", "source", "from_seed")
    list_filter = ("plan", "confidence", "from_seed")
    search_fields = ("source", "note")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.from_seed:
            return _FIELDS  # the published figure as read: add a row to change it
        return ()

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.from_seed:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset.filter(from_seed=False))
