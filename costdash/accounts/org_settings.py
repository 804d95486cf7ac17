"""The org settings page (admins only): the org's name, its reporting time zone and the two reference figures
(Anthropic's $13 average per active developer-day and the $30 daily ceiling). Saved through
``org_settings_save``, so the audit trail records the change as the signed-in admin's; a new time zone moves
every day's boundaries, so every developer-day is recomputed in it (as the Django admin does)."""
from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from . import roles
from .models import OrgSettings


class OrgSettingsForm(forms.ModelForm):
    """The time zone must be an IANA name (the model's validator refuses any other); the figures more than $0."""

    class Meta:
        model = OrgSettings
        fields = ["name", "time_zone", "average_daily_cost", "daily_ceiling"]
        widgets = {
            "time_zone": forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
            "average_daily_cost": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
            "daily_ceiling": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
        }
        labels = {"time_zone": "Reporting time zone", "average_daily_cost": "Average cost per active day (USD)",
                  "daily_ceiling": "Daily ceiling (USD)"}
        help_texts = {"time_zone": "An IANA name such as Europe/Berlin or America/New_York: it decides which day a "
                                   "request counts on, on every page, alert and report."}

    def clean_time_zone(self) -> str:
        return self.cleaned_data["time_zone"].strip()

    def _positive(self, name: str):
        amount = self.cleaned_data[name]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("The figure must be more than $0.")
        return amount

    def clean_average_daily_cost(self):
        return self._positive("average_daily_cost")

    def clean_daily_ceiling(self):
        return self._positive("daily_ceiling")


def org_settings_save(form: OrgSettingsForm) -> int | None:
    """Save a valid form's settings. When the time zone changed, mark every developer-day dirty and queue the
    recompute once committed; return how many were marked (None: the time zone did not change)."""
    form.save()
    if "time_zone" not in form.changed_data:
        return None
    return org_time_zone_changed()


def org_time_zone_changed() -> int:
    """Every day's boundaries moved: rebuild all rollups in the new zone (the Django admin calls this too)."""
    from costdash.rollups.services import daily_cost_mark_all_dirty
    from costdash.rollups.tasks import daily_cost_recompute_soon

    marked = daily_cost_mark_all_dirty()
    daily_cost_recompute_soon()
    return marked


@login_required
def org_settings_page(request):
    roles.require_admin(request.user, "Only admins change the org's settings.")
    form = OrgSettingsForm(request.POST or None, instance=OrgSettings.get())
    if request.method == "POST" and form.is_valid():
        marked = org_settings_save(form)
        messages.success(request, "The org settings are saved.")
        if marked is not None:
            messages.info(request, f"Time zone changed: {marked} developer-days are being recomputed.")
        return redirect("org_settings")
    return render(request, "accounts/org_settings.html", {"form": form,
                                                          "time_zones": sorted(zoneinfo.available_timezones())})
