"""Writes for people: find or create the developer behind a source's identity."""
import re

from django.core.exceptions import ValidationError
from django.core.validators import DomainNameValidator, EmailValidator
from django.db import transaction
from django.utils.regex_helper import _lazy_re_compile

from .models import Developer, Identity


class _EmailValidator(EmailValidator):
    """Django's validate_email, with an ASCII domain matched first by Django's own domain pattern without its
    non-ASCII ranges, which match no ASCII character (tests/accounts/test_clean_email.py): the same answers, without
    compiling those ranges (~50 ms, a tenth of `manage.py import_usage`'s start). Anything else is Django's."""

    ascii_domain_regex = _lazy_re_compile(
        (r"^" + EmailValidator.hostname_re + EmailValidator.domain_re + EmailValidator.tld_no_fqdn_re + r"\Z")
        .replace(DomainNameValidator.ul, ""),
        re.IGNORECASE,
    )

    def validate_domain_part(self, domain_part):
        if domain_part.isascii() and self.ascii_domain_regex.match(domain_part):
            return True
        return super().validate_domain_part(domain_part)


validate_email = _EmailValidator()


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
        # With its developer in the same query (an import names a known developer nearly always).
        identity, _ = Identity.objects.select_related("developer").get_or_create(source=source, external_id=email)
        if identity.developer_id is None:
            developer, _ = Developer.objects.get_or_create(email=email)
            identity.developer = developer
            identity.save(update_fields=["developer"])
    return identity.developer, identity


# Sources that share a name space for people: a LiteLLM user is the same person in SpendLogs,
# logging payloads and the daily export; an account id, API key or email seen by Claude Code's
# telemetry is the same one the Admin API's usage and analytics reports name. An identity is
# stored under its name space, so an admin maps it once for all of those sources.
IDENTITY_NAMESPACES = {
    "litellm_spendlogs": "litellm",
    "litellm_payload": "litellm",
    "litellm_daily": "litellm",
    "otel": "anthropic",
    "otel_metrics": "anthropic",
    "anthropic_usage": "anthropic",
    "claude_code_analytics": "anthropic",
}


def identity_namespace(source: str) -> str:
    """The name space a source's people are named in (see IDENTITY_NAMESPACES)."""
    return IDENTITY_NAMESPACES.get(source, source)


class IdentityMap:
    """Resolves the people named inside imported rows, once per distinct name per import.

    An identity is (name space of the source, the source's name for a person). A name that is an email address
    links to the developer with that email, created if new; any other name (an API key name, an
    account uuid) waits, unassigned, for an admin to map it. An admin's mapping always wins.
    """

    def __init__(self):
        self._cache: dict[tuple[str, str], tuple[int, int | None]] = {}

    def prefetch(self, source: str, names) -> None:
        """Resolve many names in one query: a live body names up to hundreds of people. Only names
        already mapped to a developer are settled here; a new or unmapped one still takes resolve()'s
        path (which may link it by email)."""
        source = identity_namespace(source)
        wanted = {name for name in names if name and (source, name) not in self._cache}
        if not wanted:
            return
        found = Identity.objects.filter(source=source, external_id__in=wanted, developer__isnull=False)
        for external_id, identity_id, developer_id in found.values_list("external_id", "pk", "developer_id"):
            self._cache[(source, external_id)] = (identity_id, developer_id)

    def resolve(self, source: str, name: str, email: str = "") -> tuple[int, int | None]:
        """(identity id, developer id or None) for a row's person."""
        source = identity_namespace(source)
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
    """Map a source's name for a person to a developer, re-attributing everything it named: usage
    events, daily aggregates and activity.

    The days those rows fall on are marked dirty for both the old and the new developer, so
    the rollups follow. Returns how many usage events moved.
    """
    from costdash.rollups.services import attributed_rows, attributed_rows_mark_dirty

    with transaction.atomic():
        moved = 0
        for rows in attributed_rows(identity=identity):
            attributed_rows_mark_dirty(rows)
            n = rows.update(developer=developer)
            moved += n if rows.model.__name__ == "UsageEvent" else 0
        identity.developer = developer
        identity.save(update_fields=["developer"])
        for rows in attributed_rows(identity=identity):
            attributed_rows_mark_dirty(rows)
    _recompute_on_commit()
    return moved


def developers_merge(duplicate: Developer, into: Developer) -> int:
    """Fold ``duplicate`` into ``into``: its identities, events, aggregates and login move; it is
    deleted. Returns how many usage events moved."""
    from costdash.audit.events import DEVELOPERS_MERGED
    from costdash.audit.services import audit_record
    from costdash.rollups.services import attributed_rows, attributed_rows_mark_dirty

    if duplicate.pk == into.pk:
        raise ValidationError("a developer cannot be merged into itself")
    with transaction.atomic():
        moved = 0
        for rows in attributed_rows(developer=duplicate):
            attributed_rows_mark_dirty(rows)
            n = rows.update(developer=into)
            moved += n if rows.model.__name__ == "UsageEvent" else 0
        Identity.objects.filter(developer=duplicate).update(developer=into)
        if duplicate.user_id and not into.user_id:
            into.user, duplicate.user = duplicate.user, None
            duplicate.save(update_fields=["user"])
            into.save(update_fields=["user"])
        merged = str(duplicate)
        duplicate.delete()  # its rollup rows go with it (cascade)
        for rows in attributed_rows(developer=into):
            attributed_rows_mark_dirty(rows)
        audit_record(into, DEVELOPERS_MERGED, {"developer": (merged, str(into)), "usage events moved": (0, moved)})
    _recompute_on_commit()
    return moved


def _recompute_on_commit() -> None:
    from costdash.rollups.tasks import daily_cost_recompute_soon

    daily_cost_recompute_soon()
