"""Checks and normalisation for the plain text the registry keeps (names, titles, codes)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from .errors import InvalidInput

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")


def clean_text(value: str, field: str, *, max_length: int = 500, required: bool = True) -> str:
    """NFC-normalised, trimmed text without control characters.

    NFC keeps the Kazakh letters (ә ғ қ ң ө ұ ү һ і) as the single code points they are,
    and makes a name typed with combining marks compare equal to the same name typed whole.
    """
    text = unicodedata.normalize("NFC", value).strip()
    if required and not text:
        raise InvalidInput(f"{field} must not be empty.", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters.", field=field)
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InvalidInput(f"{field} contains control characters.", field=field)
    return text


def optional_text(value: str | None, field: str, *, max_length: int = 500) -> str | None:
    if value is None:
        return None
    text = clean_text(value, field, max_length=max_length, required=False)
    return text or None


def check_code(value: str, field: str = "code") -> str:
    code = value.strip()
    if not _CODE.match(code):
        raise InvalidInput(
            f"{field} {value!r} is not valid: use 1–64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit.",
            field=field,
        )
    return code


def check_email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    email = value.strip()
    if not _EMAIL.match(email) or len(email) > 254:
        raise InvalidInput(f"{value!r} is not an e-mail address.", field="email")
    return email


@cache
def iso_639_1() -> frozenset[str]:
    """The two-letter language codes of ISO 639-1 (pycountry's copy of the standard)."""
    import pycountry

    return frozenset(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))


def check_language(value: str) -> str:
    """Lowercase ISO 639-1 (``kk``, ``ru``, ``en``, …)."""
    if not _LANGUAGE.match(value) or value not in iso_639_1():
        raise InvalidInput(
            f"language {value!r} must be a lowercase ISO 639-1 code such as 'kk', 'ru' or 'en'.",
            field="language",
        )
    return value


def check_url(value: str, field: str = "url") -> str:
    url = value.strip()
    if not re.match(r"^https?://[^\s/]+", url):
        raise InvalidInput(f"{field} {value!r} must be an http(s) URL.", field=field)
    return url
