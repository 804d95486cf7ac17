"""Reads for import pages."""
from django.db.models import Q, QuerySet

from costdash.accounts import roles

from .models import ImportBatch


def import_batches_visible_to(user) -> QuerySet[ImportBatch]:
    """Admins and billing see every import; a developer sees the imports of their data or by them."""
    batches = ImportBatch.objects.select_related("developer", "created_by")
    if roles.sees_all_spend(user):
        return batches
    own = getattr(user, "developer", None)
    return batches.filter(Q(created_by=user) | Q(developer=own) if own else Q(created_by=user))
