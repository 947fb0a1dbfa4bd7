"""Why a verification came out as it did, in Kazakh, Russian and English (issue 14, item 7).

The verdicts (``certificates.judge``, ``judge_key``) say *why* with a :class:`Reason`: a
stable code and its values, not a sentence. :meth:`Reason.text` words it in one of
:data:`LANGUAGES`; ``str(reason)`` is the English sentence (what the registry always said, so
logs, the command line and GraphQL read as before). Words that came from a person — the
university's revocation reason, a key's compromise reason — are quoted as they were written,
in whatever language they were written in; the technical detail of a malformed token is kept
in English only (it is for the registry's operators, not for an employer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["LANGUAGES", "MESSAGES", "Reason", "Unverifiable", "language_of", "token_reason"]

LANGUAGES = ("kk", "ru", "en")

_NOT_ISSUED = {
    "en": "This registry has not issued a certificate with this number.",
    "ru": "Этот реестр не выдавал сертификат с таким номером.",
    "kk": "Бұл тізілім мұндай нөмірмен сертификат бермеген.",
}
_UNKNOWN_KEY = {
    "en": "The token names a key this registry never used.",
    "ru": "Токен подписан ключом, которым этот реестр никогда не пользовался.",
    "kk": "Токенге бұл тізілім ешқашан қолданбаған кілтпен қол қойылған.",
}

# code → language → template (``str.format`` with the reason's values).
MESSAGES: Mapping[str, Mapping[str, str]] = {
    "KEY_UNKNOWN": _UNKNOWN_KEY,
    "KEY_WINDOW": {
        "en": "The token is dated {issued_on}, outside the active window of its key {kid} "
              "({active_from} – {until}).",
        "ru": "Токен датирован {issued_on} — вне срока действия его ключа {kid} "
              "({active_from} – {until}).",
        "kk": "Токенның күні {issued_on} — оның {kid} кілтінің қолданылу мерзімінен тыс "
              "({active_from} – {until}).",
    },
    "KEY_WINDOW_OPEN": {
        "en": "The token is dated {issued_on}, outside the active window of its key {kid} "
              "({active_from} – today).",
        "ru": "Токен датирован {issued_on} — вне срока действия его ключа {kid} "
              "(с {active_from} по сей день).",
        "kk": "Токенның күні {issued_on} — оның {kid} кілтінің қолданылу мерзімінен тыс "
              "({active_from} – бүгінге дейін).",
    },
    "KEY_COMPROMISED": {
        "en": "Signed with key {kid}, compromised since {since}{why}.",
        "ru": "Подписан ключом {kid}, скомпрометированным с {since}{why}.",
        "kk": "{since} бастап қауіпсіздігі бұзылған {kid} кілтімен қол қойылған{why}.",
    },
    "NOT_ISSUED": _NOT_ISSUED,
    "NUMBER_UNKNOWN": {
        "en": "This registry has not issued a certificate with this number: check it against "
              "the printed certificate.",
        "ru": "Этот реестр не выдавал сертификат с таким номером: сверьте номер с "
              "напечатанным сертификатом.",
        "kk": "Бұл тізілім мұндай нөмірмен сертификат бермеген: нөмірді басылған "
              "сертификатпен салыстырыңыз.",
    },
    "NUMBER_LENGTH": {
        "en": "A certificate number has {expected} symbols (the last one a check symbol); "
              "this has {got}.",
        "ru": "В номере сертификата {expected} символов (последний — контрольный); здесь "
              "{got}.",
        "kk": "Сертификат нөмірінде {expected} таңба бар (соңғысы — бақылау таңбасы); мұнда "
              "{got}.",
    },
    "NUMBER_SYMBOLS": {
        "en": "{symbols} cannot be in a certificate number (Crockford base32: the digits and "
              "the letters except U; I, L and O are read as 1, 1 and 0).",
        "ru": "{symbols} не может быть в номере сертификата (Crockford base32: цифры и "
              "латинские буквы, кроме U; I, L и O читаются как 1, 1 и 0).",
        "kk": "{symbols} сертификат нөмірінде болмайды (Crockford base32: цифрлар және U-дан "
              "басқа латын әріптері; I, L және O — 1, 1 және 0 деп оқылады).",
    },
    "NUMBER_CHECK_SYMBOL": {
        "en": "The check symbol (the last one) does not match the other 16 — a typo? Compare "
              "the number symbol by symbol with the printed certificate.",
        "ru": "Контрольный символ (последний) не сходится с остальными 16 — опечатка? "
              "Сверьте номер с напечатанным сертификатом символ за символом.",
        "kk": "Бақылау таңбасы (соңғысы) қалған 16 таңбаға сәйкес келмейді — қате терілді ме? "
              "Нөмірді басылған сертификатпен таңба-таңбалап салыстырыңыз.",
    },
    "REVOKED": {lang: "{reason}" for lang in LANGUAGES},  # the university's own words
    "SUPERSEDED": {
        "en": "Superseded by certificate {number}.",
        "ru": "Заменён сертификатом {number}.",
        "kk": "{number} сертификатымен ауыстырылды.",
    },
    "HOLDER_ERASED": {
        "en": "The registry no longer keeps this holder's personal data (erased on request): "
              "it cannot confirm the name. A name shown comes from the certificate's own "
              "signed token.",
        "ru": "Реестр больше не хранит персональные данные владельца (удалены по его "
              "запросу) и не может подтвердить имя. Показанное имя взято из подписанного "
              "токена самого сертификата.",
        "kk": "Тізілім бұл иенің жеке деректерін енді сақтамайды (өтініші бойынша жойылған), "
              "сондықтан атын растай алмайды. Көрсетілген аты сертификаттың өз қолтаңбалы "
              "токенінен алынған.",
    },
    "TOKEN_MISUSED": {
        "en": "The token is well signed but is not the one this registry issued for this "
              "number: its key may have been misused.",
        "ru": "Токен подписан верно, но реестр выдал для этого номера другой токен: ключом, "
              "возможно, злоупотребили.",
        "kk": "Токенге дұрыс қол қойылған, бірақ тізілім бұл нөмірге басқа токен берген: "
              "кілт теріс пайдаланылған болуы мүмкін.",
    },
    # A token that does not verify: the English keeps the exact technical detail.
    "TOKEN_MALFORMED": {
        "en": "{detail}",
        "ru": "Это не токен сертификата этого реестра: ссылка из QR-кода повреждена или "
              "неполна.",
        "kk": "Бұл осы тізілімнің сертификат токені емес: QR кодтағы сілтеме бүлінген "
              "немесе толық емес.",
    },
    "TOKEN_SIGNATURE": {
        "en": "{detail}",
        "ru": "Подпись не сходится с данными: данные сертификата изменены или подделаны.",
        "kk": "Қолтаңба деректерге сәйкес келмейді: сертификат деректері өзгертілген немесе "
              "жалған.",
    },
    "TOKEN_UNKNOWN_KEY": {**_UNKNOWN_KEY, "en": "{detail}"},
}


@dataclass(frozen=True)
class Reason:
    """A verdict's reason: ``code`` (a key of :data:`MESSAGES`), its values, and optionally a
    further reason said after it (the holder's erasure after the verdict's own reason)."""

    code: str
    values: tuple[tuple[str, str], ...] = ()
    then: Reason | None = None

    def __post_init__(self) -> None:
        if self.code not in MESSAGES:
            raise ValueError(f"no message for reason {self.code!r}")

    @classmethod
    def of(cls, code: str, **values: object) -> Reason:
        return cls(code, tuple((name, str(value)) for name, value in values.items()))

    def followed_by(self, other: Reason) -> Reason:
        return Reason(self.code, self.values, other if self.then is None
                      else self.then.followed_by(other))

    def text(self, lang: str = "en") -> str:
        """The reason in ``lang`` (one of :data:`LANGUAGES`; anything else: English)."""
        templates = MESSAGES[self.code]
        sentence = templates.get(lang, templates["en"]).format(**dict(self.values))
        return sentence if self.then is None else f"{sentence} {self.then.text(lang)}"

    def __str__(self) -> str:
        return self.text("en")


class Unverifiable(ValueError):
    """A token whose signature does not hold (or that is no token): INVALID, with why."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(str(reason))
        self.reason = reason


TOKEN_KINDS = {"malformed": "TOKEN_MALFORMED", "signature": "TOKEN_SIGNATURE",
               "unknown_key": "TOKEN_UNKNOWN_KEY"}


def token_reason(kind: str, detail: str) -> Reason:
    """The reason for a token the signature check refused: ``kind`` is ``malformed``,
    ``signature`` or ``unknown_key``; ``detail`` the check's own (English) words."""
    return Reason.of(TOKEN_KINDS.get(kind, "TOKEN_MALFORMED"), detail=detail)


def language_of(asked: str | None, accept_language: str | None = None) -> str:
    """The language to answer in: ``asked`` (a ``lang`` parameter) when it is one of
    :data:`LANGUAGES`, else the first of them in an ``Accept-Language`` header by its
    weights (RFC 9110 §12.5.4; ``kk-KZ`` counts as ``kk``), else English."""
    if asked and asked.strip().lower() in LANGUAGES:
        return asked.strip().lower()
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and weight > 0:
            ranked.append((-weight, position, primary))
    return min(ranked)[2] if ranked else "en"
