"""Role checks for API views (accounts.roles): every endpoint needs a login; reports need billing or admin.
What a developer may see of spend and alerts is narrowed by the selectors, as on the pages."""
from rest_framework.permissions import BasePermission

from costdash.accounts import roles


class SeesAllSpend(BasePermission):
    message = "Only admins and billing see the org's monthly reports."

    def has_permission(self, request, view) -> bool:
        return roles.sees_all_spend(request.user)
