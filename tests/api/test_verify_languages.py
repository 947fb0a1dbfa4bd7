"""``POST /api/verify`` words its reason in Kazakh, Russian or English (issue 14, item 7).

The language comes from the body's ``lang`` (what the verification page sends), a ``?lang=``
query, or ``Accept-Language``; English otherwise. The university's own words (a revocation
reason) are quoted as written, in every language.
"""

from __future__ import annotations

import base64
import json

import pytest
from apiclient import Api
from support import certified, reissued, revoked

from registry.domain.certificates import group_number
from registry.domain.verdicts import MESSAGES, Reason, language_of


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def forged(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["f"] = "Иван Поддельный"
    body = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode()
    return f"{header}.{b64url(body)}.{signature}"


def ask(api: Api, body: dict[str, str], headers: dict[str, str] | None = None,
        query: str = "") -> dict[str, object]:
    response = api.client.post(f"/api/verify{query}", json=body, headers=headers or {})
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def test_a_forged_token_is_explained_in_the_language_asked(api: Api) -> None:
    cert = certified(api.container.service)
    body = {"token": forged(cert["token"])}
    english = ask(api, body)
    russian = ask(api, {**body, "lang": "ru"})
    kazakh = ask(api, {**body, "lang": "kk"})
    assert {english["status"], russian["status"], kazakh["status"]} == {"INVALID"}
    assert english["lang"] == "en" and "signature does not verify" in str(english["reason"])
    assert russian["lang"] == "ru"
    assert russian["reason"] == MESSAGES["TOKEN_SIGNATURE"]["ru"]
    assert kazakh["reason"] == MESSAGES["TOKEN_SIGNATURE"]["kk"]
    assert "signature" not in str(russian["reason"]) + str(kazakh["reason"])


def test_accept_language_and_the_query_choose_when_the_body_does_not(api: Api) -> None:
    service = api.container.service
    cert = certified(service)
    new = reissued(service, cert["number"])
    body = {"number": cert["number"]}
    new = group_number(new)  # as the paper prints it
    assert ask(api, body)["reason"] == f"Superseded by certificate {new}."
    by_header = ask(api, body, {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert by_header["reason"] == f"Заменён сертификатом {new}." and by_header["lang"] == "ru"
    by_query = ask(api, body, {"Accept-Language": "ru"}, query="?lang=kk")
    assert by_query["reason"] == f"{new} сертификатымен ауыстырылды."
    # The body's lang wins over both.
    assert ask(api, {**body, "lang": "en"}, {"Accept-Language": "kk"},
               "?lang=ru")["reason"] == f"Superseded by certificate {new}."
    # A language the registry does not speak: English.
    assert ask(api, {**body, "lang": "de"}, {"Accept-Language": "de-DE"})["lang"] == "en"


def test_an_unknown_number_and_a_revocation_in_each_language(api: Api) -> None:
    service = api.container.service
    unknown = {"number": "0000-0000-0000-0000-0"}
    said = {lang: str(ask(api, {**unknown, "lang": lang})["reason"]) for lang in ("kk", "ru", "en")}
    assert said["en"].startswith("This registry has not issued")
    assert said["ru"].startswith("Этот реестр не выдавал")
    assert said["kk"].startswith("Бұл тізілім мұндай нөмірмен")

    cert = certified(service)
    reason = "Емтиханды басқа адам тапсырды (приказ № 45-ӨК)"
    revoked(service, cert["number"], reason)
    for lang in ("kk", "ru", "en"):
        answer = ask(api, {"token": cert["token"], "lang": lang})
        assert answer["status"] == "REVOKED" and answer["reason"] == reason  # word for word


def test_every_reason_has_all_three_languages_with_the_same_blanks() -> None:
    import string

    for code, templates in MESSAGES.items():
        assert set(templates) == {"kk", "ru", "en"}, code
        blanks = [{name for _, name, _, _ in string.Formatter().parse(text) if name}
                  for text in templates.values()]
        if code.startswith("TOKEN_"):  # the technical detail is said in English only
            continue
        assert blanks[0] == blanks[1] == blanks[2], code


def test_a_reason_followed_by_the_erasure_is_said_whole_in_each_language() -> None:
    reason = Reason.of("SUPERSEDED", number="X1").followed_by(Reason.of("HOLDER_ERASED"))
    assert str(reason) == "Superseded by certificate X1. " + MESSAGES["HOLDER_ERASED"]["en"]
    assert reason.text("ru").startswith("Заменён сертификатом X1. Реестр больше не хранит")


@pytest.mark.parametrize(("asked", "header", "expected"), [
    (None, "kk-KZ,kk;q=0.9,ru;q=0.8", "kk"),
    (None, "en;q=0.3, ru;q=0.7", "ru"),
    (None, "de-DE,fr;q=0.9", "en"),
    (None, "ru;q=0, en", "en"),
    (None, None, "en"),
    ("KK", "ru", "kk"),
    ("xx", "ru", "ru"),
])
def test_the_language_is_negotiated(asked: str | None, header: str | None, expected: str
                                    ) -> None:
    assert language_of(asked, header) == expected


def test_the_answer_carries_the_reason_in_all_three_languages(api: Api) -> None:
    """The page switches language without asking again."""
    answer = ask(api, {"number": "0000-0000-0000-0000-0", "lang": "ru"})
    reasons = answer["reasons"]
    assert isinstance(reasons, dict) and set(reasons) == {"kk", "ru", "en"}
    assert reasons["ru"] == answer["reason"]
    assert reasons["en"].startswith("This registry has not issued")
    assert ask(api, {"number": certified(api.container.service)["number"]})["reasons"] is None


def test_a_valid_certificate_names_its_credential_for_a_wallet(api: Api) -> None:
    service = api.container.service
    cert = certified(service)
    url = f"https://registry.example.kz/certificates/{cert['number']}/credential.json"
    assert ask(api, {"number": cert["number"]})["credential_url"] == url
    assert api.client.get(url.removeprefix("https://registry.example.kz")).status_code == 200
    assert ask(api, {"number": "0000-0000-0000-0000-0"})["credential_url"] is None
    revoked(service, cert["number"], "issued in error")
    assert ask(api, {"token": cert["token"]})["credential_url"] is None  # not for a wallet now
