"""The models page: model mix by spend or tokens over time, a table per model, and the what-if
"the same usage on another model"."""
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from costdash.pricing.services import rate_table
from costdash.rollups import selectors

from ..charts.model_mix import SPEND, TOKENS, model_mix_figure, what_if_figure
from ..filters import scope_for
from ..tables_csv import INT, MONEY, RATIO, Column, csv_href, csv_response, wants_csv

# The per-model table as a CSV download (tables_csv); spend is empty for an unpriced model (never $0).
CSV_COLUMNS = (
    Column("model", "Model"), Column("spend", "Spend (USD)", MONEY), Column("share", "Share", RATIO),
    Column("input", "Input", INT), Column("output", "Output", INT), Column("cache_writes", "Cache writes", INT),
    Column("cache_read", "Cache reads", INT), Column("total_tokens", "All tokens", INT),
    Column("requests", "Requests", INT), Column("unpriced_requests", "Unpriced requests", INT),
)

# The what-if's developers a page: the page's cost grows with the rows shown, not with the org.
DEVELOPERS_PER_PAGE = 100


def csv_rows(models: list[dict]):
    for m in models:
        t = m["tokens"]
        yield m | {"input": t.input, "output": t.output, "cache_writes": t.cache_writes, "cache_read": t.cache_read}


class ModelsForm(forms.Form):
    """``?measure=spend|tokens&from=<model in the scope>&to=<priced model>``; every field optional.

    An invalid value is an error shown on the page and its default is used instead.
    """

    measure = forms.ChoiceField(required=False, choices=[(SPEND, "Spend"), (TOKENS, "Tokens")], label="Measure")

    def __init__(self, data, *, used: list[str], priced: list[str]):
        super().__init__(data)
        self.fields["from"] = forms.ChoiceField(required=False, choices=[(m, m) for m in used], label="Usage of")
        self.fields["to"] = forms.ChoiceField(required=False, choices=[(m, m) for m in priced], label="Priced as")

    def value(self, name: str, default: str | None) -> str | None:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get(name) or default


@login_required
def models(request):
    """Model mix and what-if over the filtered scope, limited to what the user may see."""
    scope, filters = scope_for(request)
    table = rate_table()
    mix = selectors.model_mix(scope)
    if wants_csv(request):
        return csv_response("models", scope, CSV_COLUMNS, csv_rows(mix["models"]))
    used = [m["model"] for m in mix["models"]]
    form = ModelsForm(request.GET, used=used, priced=selectors.priced_models(table, scope.until))
    default_from, default_to = selectors.default_what_if(mix["models"], table, scope.until)
    measure = form.value("measure", SPEND)
    from_model, to_model = form.value("from", default_from), form.value("to", default_to)
    comparison = selectors.what_if(scope, table, from_model, to_model) if from_model and to_model else None
    compared = comparison is not None and comparison["difference"] is not None
    keep = {**dict(scope.params), "from": from_model or "", "to": to_model or ""}
    shown = Paginator(comparison["developers"] if comparison else [], DEVELOPERS_PER_PAGE).get_page(
        request.GET.get("page"))
    return render(
        request,
        "dashboard/models.html",
        {
            "scope": scope,
            "filters": filters,
            "project_applies": "every figure on this page is that project's",
            "form": form,
            "mix": mix,
            "measure": measure,
            "keep": [(name, value) for name, value in (("measure", measure), ("from", from_model), ("to", to_model))
                     if value],
            "measure_links": {m: "?" + urlencode({**keep, "measure": m}) for m in (SPEND, TOKENS)},
            "mix_figure": model_mix_figure(mix["days"], used, measure, scope.since, scope.until) if used else None,
            "from_model": from_model,
            "to_model": to_model,
            "comparison": comparison,
            "what_if_figure": what_if_figure(comparison) if compared else None,
            "shown": shown,
            "page_query": urlencode({k: v for k, v in {**keep, "measure": measure}.items() if v}),
            "linked": bool(used) or filters.sees_all or filters.visible.exists(),
            "detail_query": scope.querystring(team="", developer=""),  # a developer's link keeps the range and model
            "csv_href": csv_href(request),
        },
    )
