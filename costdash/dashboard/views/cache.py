"""The cache page: hit rate per day and per developer, what caching saved, who would save most."""
from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from costdash.pricing.services import rate_table
from costdash.rollups import selectors

from ..charts.cache import BARS_MAX, hit_rate_per_day_figure, hit_rate_per_developer_figure
from ..filters import scope_for
from ..tables_csv import INT, MONEY, RATIO, Column, csv_href, csv_response, wants_csv

# The per-developer cache table as a CSV download (tables_csv).
CSV_COLUMNS = (
    Column("developer", "Developer"), Column("team", "Team"), Column("hit_rate", "Hit rate", RATIO),
    Column("all_input", "Input tokens", INT), Column("cache_read", "Cache reads", INT),
    Column("cache_writes", "Cache writes", INT), Column("saved", "Saved, estimate (USD)", MONEY),
)

# Rows a page of each table (the developers, the ranking): the page's cost grows with the rows shown,
# not with the org; the CSV has everyone.
DEVELOPERS_PER_PAGE = 100


def csv_rows(developers: list[dict]):
    for dev in developers:
        t = dev["tokens"]
        yield dev | {"all_input": t.all_input, "cache_read": t.cache_read, "cache_writes": t.cache_writes}


class TargetForm(forms.Form):
    """``?target=`` a hit rate in percent (0-100) to rank developers against; blank = the team's P75."""

    target = forms.DecimalField(required=False, min_value=0, max_value=100, decimal_places=2, label="Target hit rate")

    def fraction(self) -> Decimal | None:
        """The valid target as a fraction in [0, 1]; None when blank or invalid (the errors stay)."""
        if self.is_valid() and self.cleaned_data["target"] is not None:
            return self.cleaned_data["target"] / 100
        return None


@login_required
def cache(request):
    """Cache figures over the filtered scope, limited to what the user may see."""
    scope, filters = scope_for(request)
    target_form = TargetForm(request.GET)
    overview = selectors.cache_overview(scope, rate_table(), target=target_form.fraction())
    if wants_csv(request):
        return csv_response("cache", scope, CSV_COLUMNS, csv_rows(overview["developers"]))
    has_data = bool(overview["days"])
    shown = Paginator(overview["developers"], DEVELOPERS_PER_PAGE).get_page(request.GET.get("page"))
    ranked = Paginator(overview["ranking"], DEVELOPERS_PER_PAGE).get_page(request.GET.get("ranking_page"))
    target = request.GET.get("target", "")
    return render(
        request,
        "dashboard/cache.html",
        {
            "scope": scope,
            "filters": filters,
            "project_applies": "every figure on this page is that project's",
            "target_form": target_form,
            "keep": [("target", target)] if target else [],
            "shown": shown,
            "ranked": ranked,
            # Each table's pager keeps the filters, the target and the other table's page.
            "page_query": scope.querystring(target=target, ranking_page=request.GET.get("ranking_page", "")),
            "ranking_query": scope.querystring(target=target, page=request.GET.get("page", "")),
            "overview": overview,
            "day_figure": hit_rate_per_day_figure(overview["days"], scope.since, scope.until) if has_data else None,
            "developer_figure": (
                hit_rate_per_developer_figure(overview["developers"], overview["target"])
                if any(dev["hit_rate"] is not None for dev in overview["developers"]) else None
            ),
            "bars_max": BARS_MAX,
            "linked": has_data or filters.sees_all or filters.visible.exists(),
            "detail_query": scope.querystring(team="", developer=""),  # a developer's link keeps the range and model
            "csv_href": csv_href(request),
        },
    )
