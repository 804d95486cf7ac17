"""Project names (admins edit, billing reads): rename a repository, or merge several checkouts of
one by giving them one name. Names apply when projects are read (chargeback.projects), so a change
shows at once everywhere, nothing is recomputed, and removing a name shows the repository again."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from costdash.accounts import roles
from costdash.ingest.parsers.dimensions import UNKNOWN_PROJECT

from .models import ProjectAlias
from .projects import AWAITING, project_aliases, repositories_in_rollups


class ProjectAliasForm(forms.ModelForm):
    """A repository (one with usage, or the one being changed) and the name to show it by."""

    class Meta:
        model = ProjectAlias
        fields = ["repository", "name"]
        labels = {"name": "Show as"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        seen = set(repositories_in_rollups()) - {UNKNOWN_PROJECT}
        if self.instance.pk:
            seen.add(self.instance.repository)
        self.fields["repository"] = forms.ChoiceField(
            choices=[(r, r) for r in sorted(seen)], label="Repository",
            help_text="As recorded: the checkout's path (usage without one is \"unknown project\": no name)",
        )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if name in (UNKNOWN_PROJECT, AWAITING) or not name:
            raise forms.ValidationError(f"Choose another name: {name or 'a blank name'!r} means something else here.")
        return name


def _require_viewer(request) -> None:
    roles.require_sees_all_spend(request.user, "Project names are set for the whole org: admins and billing see them.")


def _require_admin(request) -> None:
    roles.require_admin(request.user, "Only admins rename or merge projects.")


@login_required
def name_list(request):
    """Every repository with usage or a name, with the name it is shown by."""
    _require_viewer(request)
    aliases = {a.repository: a for a in ProjectAlias.objects.all()}
    shown = project_aliases()
    repositories = sorted(set(repositories_in_rollups()) | set(aliases), key=lambda r: (shown.get(r, r).lower(), r))
    rows = [{"repository": r, "name": shown.get(r, r), "alias": aliases.get(r)} for r in repositories]
    return render(request, "chargeback/project_names.html", {
        "rows": rows, "is_admin": roles.is_admin(request.user), "unknown": UNKNOWN_PROJECT,
    })


@login_required
def name_edit(request, alias_id: int | None = None):
    """Add (no id; ``?repository=`` preselects one) or change a name."""
    _require_admin(request)
    alias = get_object_or_404(ProjectAlias, pk=alias_id) if alias_id else None
    initial = {"repository": request.GET.get("repository", "")} if alias is None else None
    form = ProjectAliasForm(request.POST or None, instance=alias, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"{saved.repository} is shown as {saved.name}.")
        return redirect("chargeback:project_names")
    return render(request, "chargeback/project_name_form.html", {"form": form, "alias": alias})


@login_required
def name_delete(request, alias_id: int):
    _require_admin(request)
    alias = get_object_or_404(ProjectAlias, pk=alias_id)
    if request.method == "POST":
        alias.delete()
        messages.success(request, f"{alias.repository} is shown by its own name again.")
        return redirect("chargeback:project_names")
    return render(request, "chargeback/project_name_delete.html", {"alias": alias})
