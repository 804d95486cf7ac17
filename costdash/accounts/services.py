"""Writes for people: find or create the developer behind a source's identity."""
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from .models import Developer, Identity


def developer_for_email(email: str, *, source: str) -> tuple[Developer, Identity]:
    """The developer an uploader's email names, creating both on first sight.

    The identity (source, email) is what the data is attributed to; if an admin has mapped
    it to another developer (a merge), that mapping wins.
    """
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(f"{email!r} is not a valid developer email") from None
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
