"""Writes for people: find or create the developer behind a source's identity."""
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from .models import Developer, Identity


def clean_email(email: str) -> str:
    """A valid email, lower-cased, or a ValidationError naming it."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(f"{email!r} is not a valid developer email") from None
    return email


def developer_by_email(email: str) -> Developer:
    """The developer with this email, created on first sight."""
    return Developer.objects.get_or_create(email=clean_email(email))[0]


def developer_for_email(email: str, *, source: str) -> tuple[Developer, Identity]:
    """The developer an uploader's email names, creating both on first sight.

    The identity (source, email) is what the data is attributed to; if an admin has mapped
    it to another developer (a merge), that mapping wins.
    """
    email = clean_email(email)
    with transaction.atomic():
        identity, _ = Identity.objects.get_or_create(source=source, external_id=email)
        if identity.developer_id is None:
            developer, _ = Developer.objects.get_or_create(email=email)
            identity.developer = developer
            identity.save(update_fields=["developer"])
    return identity.developer, identity


class IdentityMap:
    """Resolves the people named inside imported rows, once per distinct name per import.

    An identity is (source, the source's name for a person). A name that is an email address
    links to the developer with that email, created if new; any other name (an API key name, an
    account uuid) waits, unassigned, for an admin to map it. An admin's mapping always wins.
    """

    def __init__(self):
        self._cache: dict[tuple[str, str], tuple[int, int | None]] = {}

    def prefetch(self, source: str, names) -> None:
        """Resolve many names in one query: a live body names up to hundreds of people. Only names
        already mapped to a developer are settled here; a new or unmapped one still takes resolve()'s
        path (which may link it by email)."""
        wanted = {name for name in names if name and (source, name) not in self._cache}
        if not wanted:
            return
        found = Identity.objects.filter(source=source, external_id__in=wanted, developer__isnull=False)
        for external_id, identity_id, developer_id in found.values_list("external_id", "pk", "developer_id"):
            self._cache[(source, external_id)] = (identity_id, developer_id)

    def resolve(self, source: str, name: str, email: str = "") -> tuple[int, int | None]:
        """(identity id, developer id or None) for a row's person."""
        key = (source, name or email)
        if key not in self._cache:
            self._cache[key] = self._lookup(source, name or email, email)
        return self._cache[key]

    @staticmethod
    def _lookup(source: str, name: str, email: str) -> tuple[int, int | None]:
        email = (email or (name if "@" in name else "")).strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            email = ""
        with transaction.atomic():
            identity, _ = Identity.objects.get_or_create(source=source, external_id=name[:320] or "(unnamed)")
            if identity.developer_id is None and email:
                identity.developer, _ = Developer.objects.get_or_create(email=email)
                identity.save(update_fields=["developer"])
        return identity.pk, identity.developer_id


def identity_assign(identity: Identity, developer: Developer) -> int:
    """Map a source's name for a person to a developer, re-attributing every event it named.

    The days those events fall on are marked dirty for both the old and the new developer, so
    the rollups follow. Returns how many events moved.
    """
    from costdash.ingest.models import UsageEvent

    with transaction.atomic():
        events = UsageEvent.objects.filter(identity=identity)
        _mark_event_days_dirty(events)
        moved = events.update(developer=developer)
        identity.developer = developer
        identity.save(update_fields=["developer"])
        _mark_event_days_dirty(UsageEvent.objects.filter(identity=identity))
    _recompute_on_commit()
    return moved


def developers_merge(duplicate: Developer, into: Developer) -> int:
    """Fold ``duplicate`` into ``into``: its identities, events and login move; it is deleted."""
    from costdash.ingest.models import UsageEvent

    if duplicate.pk == into.pk:
        raise ValidationError("a developer cannot be merged into itself")
    with transaction.atomic():
        events = UsageEvent.objects.filter(developer=duplicate)
        _mark_event_days_dirty(events)
        moved = events.update(developer=into)
        Identity.objects.filter(developer=duplicate).update(developer=into)
        if duplicate.user_id and not into.user_id:
            into.user, duplicate.user = duplicate.user, None
            duplicate.save(update_fields=["user"])
            into.save(update_fields=["user"])
        duplicate.delete()  # its rollup rows go with it (cascade)
        _mark_event_days_dirty(UsageEvent.objects.filter(developer=into))
    _recompute_on_commit()
    return moved


def _mark_event_days_dirty(events) -> None:
    from django.db.models.functions import TruncDate

    from costdash.lib.dates import zone
    from costdash.rollups.services import daily_cost_mark_dirty

    from .models import OrgSettings

    tz = zone(OrgSettings.get().time_zone)
    daily_cost_mark_dirty(
        events.exclude(developer=None)
        .annotate(local_day=TruncDate("timestamp", tzinfo=tz))
        .values_list("developer_id", "local_day")
        .distinct()
    )


def _recompute_on_commit() -> None:
    from costdash.rollups.tasks import daily_cost_recompute_soon

    daily_cost_recompute_soon()
