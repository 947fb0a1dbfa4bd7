"""What a name search matches (SPEC §9: case-insensitive, Kazakh letters included, Latin
spelling too).

A record's *search key* holds its texts twice: case-folded as written (``нұрлан қасымов``) and
spelled in Latin letters (``nurlan kasymov``). A query matches when it occurs in the key either
as typed (case-folded) or spelled in Latin the same way — so ``Нұрлан``, ``нұрлан``,
``Nurlan`` and ``NURLAN`` all find Нұрлан Қасымов, and so do ``Qasymov`` (the 2021 Kazakh Latin
alphabet) and ``Kasymov`` (the passport spelling).

The Latin spelling is anyascii's transliteration (Cyrillic, Kazakh letters included: Қ → Q,
Ғ → Gh, Ң → Ng, Ұ/Ү → U, Ә → A, Ө → O, І → I), with the few letters where the passport
spelling differs folded to one form (q → k, gh → g), on both sides.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from anyascii import anyascii

# After transliteration: the 2021 alphabet's and the passports' spellings to one form.
_FOLDS = (("gh", "g"), ("q", "k"))


def fold(text: str) -> str:
    """Case-folded, NFC (so a letter typed with a combining mark equals the letter)."""
    return unicodedata.normalize("NFC", text).casefold()


def latin(text: str) -> str:
    """The Latin spelling search compares: ``Қасымов`` → ``kasymov``, ``Qasymov`` → ``kasymov``."""
    spelled = anyascii(unicodedata.normalize("NFC", text)).casefold()
    for old, new in _FOLDS:
        spelled = spelled.replace(old, new)
    return spelled


def search_key(texts: Iterable[str | None]) -> str:
    """The key a record is found by: each text as written and in Latin, once each."""
    parts: list[str] = []
    for text in texts:
        if not text:
            continue
        for form in (fold(text), latin(text)):
            if form and form not in parts:
                parts.append(form)
    return " | ".join(parts)


def search_terms(query: str) -> list[str]:
    """The substrings one of which a matching key contains (empty: the query has no letters
    or digits, and matches everything)."""
    query = " ".join(query.split())
    terms: list[str] = []
    for form in (fold(query), latin(query)):
        if form.strip() and form not in terms:
            terms.append(form)
    return terms
