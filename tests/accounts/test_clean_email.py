"""clean_email's validator answers as Django's validate_email does, without compiling Django's Unicode domain
pattern for an ASCII address (costdash.accounts.services._EmailValidator)."""
import re

from django.core.exceptions import ValidationError
from django.core.validators import DomainNameValidator, EmailValidator
from django.core.validators import validate_email as django_validate_email
import pytest

from costdash.accounts.services import _EmailValidator, clean_email, validate_email

ADDRESSES = [
    "dev@example.com", "a.b-c+d@sub.example.co.uk", "x@localhost", "x@[127.0.0.1]", "x@[::1]", "x@[999.1.1.1]",
    "x@example", "x@-example.com", "x@example-.com", "x@exa_mple.com", "x@example.c", "x@example.com.",
    "x@xn--bcher-kva.example", "x@example.xn--p1ai", "x@example.-com", "x@example.com-", "x@ex..ample.com",
    "x@" + "a" * 63 + ".com", "x@" + "a" * 64 + ".com", "x@example.123", "x@bücher.example", "x@例え.テスト",
    "x@example.kom", "x@example.sss", "@example.com", "x@", "x", "", "a@b@example.com", "\"q\"@example.com",
    "x@exa mple.com", "x@example.com\n", "x@EXAMPLE.COM",
]


def answer(validator, value) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_same_answer_as_djangos(address):
    assert answer(validate_email, address) == answer(django_validate_email, address)


def test_the_ascii_pattern_is_djangos_without_its_non_ascii_ranges():
    assert _EmailValidator.ascii_domain_regex.pattern == EmailValidator.domain_regex.pattern.replace(
        DomainNameValidator.ul, "")
    assert _EmailValidator.ascii_domain_regex.flags == EmailValidator.domain_regex.flags


def test_the_non_ascii_ranges_match_no_ascii_character():
    """Each character class of Django's domain pattern matches the same ASCII characters without them (case
    folding included: the Kelvin sign folds to k, the long s to s, letters the class has anyway)."""
    ul = DomainNameValidator.ul
    classes = re.findall(r"\[[^\]]*\]", EmailValidator.domain_regex.pattern)
    assert sum(ul in cls for cls in classes) == 5
    for cls in classes:
        full, ascii_only = re.compile(cls, re.IGNORECASE), re.compile(cls.replace(ul, ""), re.IGNORECASE)
        for code in range(128):
            assert bool(full.fullmatch(chr(code))) == bool(ascii_only.fullmatch(chr(code))), (cls, code)


def test_clean_email_lower_cases_and_names_a_bad_address():
    assert clean_email("  Dev@Example.COM ") == "dev@example.com"
    with pytest.raises(ValidationError, match="'dev@example' is not a valid developer email"):
        clean_email("dev@example")
