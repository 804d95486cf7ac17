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
