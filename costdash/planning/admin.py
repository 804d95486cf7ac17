"""PlanPrice admin, as pricing's ModelPrice admin: seeded rows are read-only and cannot be deleted.

To correct or extend a plan's price (a new price, a quote for Team or Enterprise), add a row: a later
effective_from wins, and on the same effective_from an admin row wins over the seeded one. Pages read
the table on every request, so a saved row shows at once.
"""
from django import forms
from django.contrib import admin

from .models import PlanPrice

_FIELDS = ["plan", "monthly_price", "effective_from", "as_of", "source", "confidence", "note"]


class PlanPriceForm(forms.ModelForm):
    class Meta:
        model = PlanPrice
        fields = _FIELDS

    def clean_effective_from(self):
        # A price applies to whole months: the day must be a month's first.
        day = self.cleaned_data["effective_from"]
        if day is not None and day.day != 1:
            raise forms.ValidationError("A plan price starts on a month's first day, e.g. 2026-12-01.")
        return day

    def clean_monthly_price(self):
        price = self.cleaned_data["monthly_price"]
        if price is not None and price <= 0:
            raise forms.ValidationError("Leave the price empty when none is published: never $0.")
        return price


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
