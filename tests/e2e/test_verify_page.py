"""The public verification page (/v), driven in Debian's Chromium against a live registry.

An employer scans the QR code: /v#<token>. The page always asks the registry for the
verdict, checks the signature itself where WebCrypto Ed25519 is available (127.0.0.1 is a
secure context), shows nothing taken from an INVALID token, and speaks Kazakh, Russian and
English. Every test also checks that the browser logged no error (a CSP violation would be
one) and asked no host other than 127.0.0.1. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

# conftest.py provides the fixtures: ``live_registry``/``registry_server`` (a running registry
# with a valid, a revoked and a to-be-superseded certificate and a forged token) and
# ``open_browser`` (a fresh Chromium profile wrapped in a small page object).

LiveRegistry = Any
VerifyPage = Any
KAZAKH_NAME = "Әлия Ғабитқызы Құрманова"

STATIC = Path(__file__).resolve().parents[2] / "registry" / "web" / "static"

WORDS = {
    "kk": {"VALID": "ЖАРАМДЫ", "REVOKED": "КҮШІ ЖОЙЫЛҒАН", "SUPERSEDED": "АУЫСТЫРЫЛҒАН",
           "INVALID": "ЖАРАМСЫЗ", "MISMATCH": "ҚОЛТАҢБА СӘЙКЕС ЕМЕС"},
    "ru": {"VALID": "ДЕЙСТВИТЕЛЕН", "REVOKED": "ОТОЗВАН", "SUPERSEDED": "ЗАМЕНЁН",
           "INVALID": "НЕДЕЙСТВИТЕЛЕН", "MISMATCH": "ПОДПИСЬ НЕ СОВПАДАЕТ"},
    "en": {"VALID": "VALID", "REVOKED": "REVOKED", "SUPERSEDED": "SUPERSEDED",
           "INVALID": "INVALID", "MISMATCH": "SIGNATURE MISMATCH"},
}
CHECKED_IN_BROWSER = {
    "kk": "Қолтаңба осы браузерде тексерілді",
    "ru": "Подпись проверена в этом браузере",
    "en": "Signature checked in this browser",
}
CHECKED_BY_REGISTRY = {
    "kk": "Қолтаңбаны тек тізілім тексерді",
    "ru": "Подпись проверена только реестром",
    "en": "Signature checked by the registry only",
}
UNIVERSITY = {
    "kk": "Әл-Фараби атындағы Қазақ ұлттық университеті",
    "ru": "Казахский национальный университет имени аль-Фараби",
    "en": "Al-Farabi Kazakh National University",
}
ISSUED_ON = {  # the fixed clock issues on 14 June 2025 (Asia/Almaty)
    "kk": "2025 жылғы 14 маусым",
    "ru": "14 июня 2025 г.",
    "en": "14 June 2025",
}
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

Browser = Callable[..., VerifyPage]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def open_verdict(page: VerifyPage, url: str) -> str:
    page.driver.get("about:blank")  # a real navigation, so no earlier verdict is read
    page.open(url)
    return page.wait_for_verdict()


def grouped(number: str) -> str:
    """The number in groups of four, as the PDF prints it."""
    return "-".join(number[i:i + 4] for i in range(0, len(number), 4))


def typed_form(number: str) -> str:
    """How a person types a printed number: lower case, in groups, hyphens and spaces."""
    groups = [number[i:i + 4] for i in range(0, len(number), 4)]
    return (" - ".join(groups[:2]) + " " + "-".join(groups[2:])).lower()


# --------------------------------------------------------------------------------------------
# The files themselves: nothing a strict CSP would block, nothing from a third party


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_the_page_has_no_inline_code_and_no_third_party_assets() -> None:
    markup = _Markup()
    markup.feed((STATIC / "verify.html").read_text("utf-8"))
    scripts = [attrs for tag, attrs in markup.tags if tag == "script"]
    assert scripts == [{"src": "/static/verify.js", "defer": None}]
    assert not [tag for tag, _ in markup.tags if tag == "style"]
    assert ("link", {"rel": "stylesheet", "href": "/static/verify.css"}) in markup.tags
    for tag, attrs in markup.tags:
        assert "style" not in attrs, tag
        assert not [a for a in attrs if a.startswith("on")], tag
    inputs = [attrs for tag, attrs in markup.tags if tag == "input"]
    labels = {attrs.get("for") for tag, attrs in markup.tags if tag == "label"}
    assert inputs and all(attrs["id"] in labels for attrs in inputs)

    script = (STATIC / "verify.js").read_text("utf-8")
    for forbidden in ("eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML",
                      "document.write", "setAttribute(\"style", ".style."):
        assert forbidden not in script, forbidden
    for name in ("verify.html", "verify.js", "verify.css"):
        text = (STATIC / name).read_text("utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE), name
        assert "@import" not in text and "@font-face" not in text, name


# --------------------------------------------------------------------------------------------
# The QR code


def test_a_valid_qr_shows_valid_with_the_holders_kazakh_name(
    open_browser: Browser, registry_server: LiveRegistry
) -> None:
    page = open_browser()
    cert = registry_server.valid

    assert open_verdict(page, registry_server.url(cert.token)) == "VALID"

    assert page.verdict_word() == "VALID"
    fields = page.fields()
    assert fields["fullName"] == KAZAKH_NAME
    assert fields["courseTitle"] == cert.course_title == "Қазақ әдебиетінің тарихы"
    assert fields["credits"] == "5"
    assert fields["issuedOn"] == ISSUED_ON["en"]
    assert fields["number"] == grouped(cert.number)  # as the paper prints it
    assert fields["issuer"] == UNIVERSITY["en"]
    assert fields["kid"] == cert.kid
    assert fields["signature"] == CHECKED_IN_BROWSER["en"]
    assert fields["checkedAt"]
    # the issuance in the public log, with its proof file (test_verify_proof_link.py)
    assert re.fullmatch(r"Recorded in the university's public log \(entry \d+\)",
                        fields["auditLog"])
    link = page.driver.find_element("css selector", '[data-field="auditLog"] a')
    proof_path = link.get_attribute("href").split("127.0.0.1", 1)[1].split("/", 1)[1]
    assert proof_path == f"certificates/{cert.number}/proof"
    page.screenshot("valid-qr")

    # Served under the strict CSP, and the fragment never reached the server.
    assert page.response_headers("/v").get("content-security-policy") == PAGE_CSP
    seen = " ".join(f"{path}?{query}" for _, path, query in registry_server.recorder.requests)
    assert cert.token not in seen and cert.token.split(".")[2] not in seen
    # Accessible verdict region.
    region = page.driver.find_element("id", "verdict")
    assert region.get_attribute("aria-live") == "polite"
    page.assert_clean()


def test_a_revoked_certificate_shows_revoked_and_the_reason_word_for_word(
    open_browser: Browser, registry_server: LiveRegistry
) -> None:
    page = open_browser()

    assert open_verdict(page, registry_server.url(registry_server.revoked.token)) == "REVOKED"

    assert page.verdict_word() == "REVOKED"
    assert page.reason() == registry_server.revocation_reason
    assert page.field("fullName") == registry_server.revoked.full_name
    assert page.field("signature") == CHECKED_IN_BROWSER["en"]
    page.screenshot("revoked-qr")
    page.assert_clean()


def test_a_forged_token_shows_invalid_and_nothing_taken_from_it(
    open_browser: Browser, registry_server: LiveRegistry
) -> None:
    page = open_browser()
    forged = registry_server.forged_token
    expected_reason = registry_server.service.verify_token(forged)["reason"]

    assert open_verdict(page, registry_server.url(forged)) == "INVALID"

    assert page.verdict_word() == "INVALID"
    assert page.reason() == expected_reason
    assert registry_server.forged_name not in page.text()
    assert registry_server.forged_name not in page.driver.page_source
    assert KAZAKH_NAME not in page.text()  # nor the name the signature was made for
    fields = page.fields()
    assert set(fields) <= {"signature", "checkedAt"}  # no certificate field, no key id
    page.screenshot("forged-token")
    page.assert_clean()


def test_a_superseded_certificate_shows_superseded_and_its_replacement(
    open_browser: Browser, registry_server: LiveRegistry
) -> None:
    """The certificate was reissued with a corrected name: the old QR says SUPERSEDED."""
    old, new = registry_server.superseded, registry_server.replacement
    answer = registry_server.service.verify_token(old.token)
    page = open_browser()

    assert open_verdict(page, registry_server.url(old.token)) == "SUPERSEDED"

    assert page.verdict_word() == "SUPERSEDED"
    assert page.reason() == answer["reason"]
    assert grouped(new.number) in page.reason()  # grouped, as on paper
    assert page.field("supersededBy") == grouped(new.number)
    assert page.field("fullName") == answer["certificate"]["fullName"]
    page.screenshot("superseded-qr")

    page.driver.find_element("css selector", "#details button").click()  # the new one
    assert page.wait_for_verdict() == "VALID"
    assert page.field("number") == grouped(new.number)
    assert page.field("fullName") == new.full_name == "Ержан Болатұлы Сейітов"
    page.assert_clean()


def test_an_unreachable_registry_gives_no_verdict_and_offers_a_retry(
    open_browser: Browser, registry_server: LiveRegistry
) -> None:
    token = registry_server.valid.token
    registry_server.recorder.staged[token] = None  # /api/verify answers 503
    page = open_browser()

    assert open_verdict(page, registry_server.url(token)) == "ERROR"

    assert page.verdict_word() == "NOT CHECKED"
    assert KAZAKH_NAME not in page.text()  # the token alone is never a verdict
    page.screenshot("registry-unreachable")

    del registry_server.recorder.staged[token]
    page.driver.find_element("css selector", "#details button").click()
    assert page.wait_for_verdict() == "VALID"
    # The 503 itself is the only console error; nothing went off 127.0.0.1.
    errors = page.console_errors()
    assert len(errors) == 1 and "503" in errors[0]
    assert page.foreign_requests() == []


def test_a_registry_whose_keys_do_not_match_its_verdict_shows_signature_mismatch(
    open_browser: Browser, registry_server: LiveRegistry
) -> None:
    """The server says VALID but publishes a key the token does not verify under: the page
    trusts neither side blindly."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    registry_server.recorder.jwks_override = {"keys": [
        {**key, "x": b64url(other)} for key in registry_server.jwks["keys"]
    ]}
    page = open_browser()

    assert open_verdict(page, registry_server.url(registry_server.valid.token)) == "MISMATCH"

    assert page.verdict_word() == "SIGNATURE MISMATCH"
    assert "VALID" in page.text()  # the registry's answer is still said, as such
    assert KAZAKH_NAME not in page.text()
    assert page.field("signature").startswith("Signature mismatch")
    page.screenshot("signature-mismatch")
    page.assert_clean()


def test_the_page_follows_hash_changes_and_url_encoded_tokens(
    open_browser: Browser, registry_server: LiveRegistry
) -> None:
    page = open_browser()
    assert open_verdict(page, registry_server.url(registry_server.valid.token)) == "VALID"

    page.driver.execute_script(
        "window.location.hash = arguments[0]", registry_server.revoked.token)
    page.wait_for_verdict()
    assert page.verdict() == "REVOKED"

    encoded = registry_server.valid.token.replace(".", "%2E")
    assert open_verdict(page, registry_server.url(encoded)) == "VALID"
    assert page.field("signature") == CHECKED_IN_BROWSER["en"]
    page.assert_clean()


# --------------------------------------------------------------------------------------------
# Languages


CASES = ("valid", "revoked", "superseded", "forged")


def test_each_verdict_reads_in_kazakh_russian_and_english(
    open_browser: Browser, registry_server: LiveRegistry
) -> None:
    def said(token: str) -> Callable[[str], str]:
        return registry_server.service.verify_token(token)["explanation"].text

    def quoted(_lang: str) -> str:
        return str(registry_server.revocation_reason)

    tokens: dict[str, tuple[str, str, Callable[[str], str] | None]] = {
        "valid": (registry_server.valid.token, "VALID", None),
        "revoked": (registry_server.revoked.token, "REVOKED", quoted),
        "superseded": (registry_server.superseded.token, "SUPERSEDED",
                       said(registry_server.superseded.token)),
        "forged": (registry_server.forged_token, "INVALID", said(registry_server.forged_token)),
    }
    page = open_browser()
    for case in CASES:
        token, status, reason = tokens[case]
        assert open_verdict(page, registry_server.url(token)) == status
        for lang in ("kk", "ru", "en"):
            page.switch_language(lang)
            assert page.html_lang() == lang
            assert page.verdict() == status
            assert page.verdict_word() == WORDS[lang][status]
            assert page.driver.find_element("id", "issuer-name").text == UNIVERSITY[lang]
            pressed = page.driver.find_element("css selector", f'[data-lang="{lang}"]')
            assert pressed.get_attribute("aria-pressed") == "true"
            if reason is not None:
                # The registry's reason in the page's language; the university's own words
                # (the revocation) as written.
                assert page.reason() == reason(lang)
            if status == "INVALID":
                assert registry_server.forged_name not in page.text()
            else:
                assert page.field("issuer") == UNIVERSITY[lang]
                assert page.field("issuedOn") == ISSUED_ON[lang]
                assert page.field("signature") == CHECKED_IN_BROWSER[lang]
            page.screenshot(f"{case}-{lang}")
    page.assert_clean()


@pytest.mark.parametrize(
    ("languages", "expected"),
    [("kk-KZ,kk,ru", "kk"), ("ru-RU,ru", "ru"), ("en-GB,en", "en"), ("de-DE,de,fr", "en")],
)
def test_the_language_defaults_from_the_browser(
    open_browser: Browser, registry_server: LiveRegistry, languages: str, expected: str
) -> None:
    page = open_browser(languages)
    assert open_verdict(page, registry_server.url(registry_server.valid.token)) == "VALID"
    assert page.html_lang() == expected
    assert page.verdict_word() == WORDS[expected]["VALID"]
    page.assert_clean()


def test_the_chosen_language_is_remembered(
    open_browser: Browser, registry_server: LiveRegistry
) -> None:
    page = open_browser("en-US,en")
    assert open_verdict(page, registry_server.url(registry_server.valid.token)) == "VALID"
    page.switch_language("kk")
    page.driver.refresh()
    page.wait_for_verdict()
    assert page.html_lang() == "kk"
    assert page.verdict_word() == WORDS["kk"]["VALID"]
    assert page.field("fullName") == KAZAKH_NAME
    page.screenshot("remembered-kk")
    page.assert_clean()


# --------------------------------------------------------------------------------------------
# Typing a number or pasting a link


@pytest.mark.parametrize("case", ["valid", "revoked"])
def test_a_typed_number_gives_the_same_verdict_as_the_qr(
    open_browser: Browser, registry_server: LiveRegistry, case: str
) -> None:
    cert = getattr(registry_server, case)
    page = open_browser()
    by_qr = open_verdict(page, registry_server.url(cert.token))
    qr_fields = page.fields()
    qr_reason = page.reason() if by_qr == "REVOKED" else None

    page.driver.get("about:blank")
    page.open(registry_server.url())
    assert page.verdict() == "None"  # nothing to check yet: an invitation, not a verdict
    page.look_up(typed_form(cert.number))

    assert page.wait_for_verdict() == by_qr
    typed_fields = page.fields()
    for name in ("fullName", "courseTitle", "credits", "issuedOn", "number", "issuer"):
        assert typed_fields[name] == qr_fields[name]
    if qr_reason is not None:
        assert page.reason() == qr_reason
    assert typed_fields["signature"] == CHECKED_BY_REGISTRY["en"]
    assert typed_fields["kid"] == cert.kid  # named by the registry's answer
    # The keyboard user lands on the verdict.
    assert page.driver.switch_to.active_element.get_attribute("id") == "verdict"
    page.screenshot(f"typed-number-{case}")
    page.assert_clean()


def test_a_pasted_link_and_an_unknown_number(
    open_browser: Browser, registry_server: LiveRegistry
) -> None:
    page = open_browser("ru-RU,ru")
    page.open(registry_server.url())
    url = f"{registry_server.base_url}/v#{registry_server.valid.token}"
    page.look_up(url)
    assert page.wait_for_verdict() == "VALID"
    assert page.field("signature") == CHECKED_IN_BROWSER["ru"]
    assert page.driver.current_url.endswith(registry_server.valid.token)

    page.look_up("0000-0000-0000-0000-0")
    assert page.wait_for_verdict() == "INVALID"
    unknown = registry_server.service.verify_number("00000000000000000")["explanation"]
    assert page.reason() == unknown.text("ru")  # asked in the page's language
    assert page.reason().startswith("Этот реестр не выдавал")
    assert KAZAKH_NAME not in page.text()
    page.screenshot("unknown-number-ru")
    page.assert_clean()


def test_an_empty_field_asks_for_a_number_without_asking_the_registry(
    open_browser: Browser, registry_server: LiveRegistry
) -> None:
    page = open_browser()
    page.open(registry_server.url())
    page.look_up("   ")
    error = page.driver.find_element("id", "lookup-error")
    assert error.is_displayed() and error.text
    assert page.driver.find_element("id", "lookup-input").get_attribute("aria-invalid") == "true"
    assert not [p for _, p, _ in registry_server.recorder.requests[-3:] if p == "/api/verify"]
    assert not [u for u in page.requested_urls() if u.endswith("/api/verify")]
    page.assert_clean()


def test_an_erased_holder_shows_the_verdict_without_a_name_and_says_why(
    open_browser: Browser, registry_server: LiveRegistry
) -> None:
    import uuid

    from support import ADMIN, enrolled, examined, issued, scored

    service = registry_server.service
    erased_name = "Гүлжан Серікқызы Жұмабаева"
    cert = issued(service, examined(service, scored(service, enrolled(
        service, "KAZLIT-101", erased_name))))
    service.erase_personal_data(ADMIN, uuid.UUID(cert["learnerId"]), "Request 2026/117")
    page = open_browser()

    page.open(registry_server.url())
    page.look_up(typed_form(cert["number"]))
    assert page.wait_for_verdict() == "VALID"
    assert "fullName" not in page.fields()  # no empty holder row
    assert "no longer keeps" in page.reason()
    assert erased_name not in page.text()
    page.screenshot("erased-holder-number")

    # By the QR, the name is the one inside the signed token, and the reason says so.
    assert open_verdict(page, registry_server.url(cert["token"])) == "VALID"
    assert page.field("fullName") == erased_name
    assert page.field("signature") == CHECKED_IN_BROWSER["en"]
    assert "signed token" in page.reason()
    page.screenshot("erased-holder-qr")
    page.assert_clean()


# --------------------------------------------------------------------------------------------
# Layout on a phone and on a desktop (issue 14: "НЕДЕЙСТВИ/ТЕЛЕН", the wrapped Verify button)


PHONE, DESKTOP = 390, 1280


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_each_verdict_fits_the_screen_in_each_language(
    open_browser: Browser, registry_server: LiveRegistry, width: int
) -> None:
    """No horizontal scroll, nothing sticking out, the verdict's words never broken inside
    (a one-word verdict on one line), the buttons on one line — for each verdict in each
    language. The screenshots (whole page) are in test-artifacts/verify-layout-*.png."""
    cases = {"valid": registry_server.valid.token, "revoked": registry_server.revoked.token,
             "superseded": registry_server.superseded.token,
             "forged": registry_server.forged_token}
    page = open_browser()
    page.set_viewport(width)
    for case, token in cases.items():
        open_verdict(page, registry_server.url(token))
        assert page.driver.execute_script("return window.innerWidth") == width
        for lang in ("kk", "ru", "en"):
            page.switch_language(lang)
            assert page.html_lang() == lang
            assert page.layout_problems() == [], (case, lang, width)
            page.full_screenshot(f"layout-{width}-{case}-{lang}")
    page.assert_clean()


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_the_mismatch_and_the_unreachable_registry_fit_too(
    open_browser: Browser, registry_server: LiveRegistry, width: int
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    registry_server.recorder.jwks_override = {"keys": [
        {**key, "x": b64url(other)} for key in registry_server.jwks["keys"]]}
    page = open_browser("kk-KZ,kk")
    page.set_viewport(width)
    assert open_verdict(page, registry_server.url(registry_server.valid.token)) == "MISMATCH"
    assert page.layout_problems() == []
    page.full_screenshot(f"layout-{width}-mismatch-kk")
    registry_server.recorder.jwks_override = None
    registry_server.recorder.staged[registry_server.revoked.token] = None  # 503
    assert open_verdict(page, registry_server.url(registry_server.revoked.token)) == "ERROR"
    assert page.layout_problems() == []
    page.full_screenshot(f"layout-{width}-unreachable-kk")


def test_the_probe_sees_a_broken_word_and_a_wrapped_button(
    open_browser: Browser, registry_server: LiveRegistry
) -> None:
    """The layout check itself can fail: the old style (any letter a break) at 390 px."""
    page = open_browser("ru-RU,ru")
    page.set_viewport(PHONE)
    assert open_verdict(page, registry_server.url(registry_server.forged_token)) == "INVALID"
    page.driver.execute_script("""
        const word = document.querySelector('.verdict__word');
        word.style.cssText = 'font-size: 2.5rem; overflow-wrap: anywhere';
        const button = document.getElementById('lookup-submit');
        button.style.cssText = 'white-space: normal; width: 3em';""")
    problems = " | ".join(page.layout_problems())
    assert 'the verdict\'s word "НЕДЕЙСТВИТЕЛЕН" is broken over 2 lines' in problems
    assert 'the button "Проверить" wraps onto' in problems


def test_a_valid_certificate_offers_its_credential_for_a_wallet(
    open_browser: Browser, registry_server: LiveRegistry
) -> None:
    import urllib.request

    cert = registry_server.valid
    page = open_browser("kk-KZ,kk")
    assert open_verdict(page, registry_server.url(cert.token)) == "VALID"
    wallet = page.driver.find_element("css selector", "section.wallet")
    assert "Learner Credential Wallet" in wallet.text and "verifierplus.org" in wallet.text
    assert "әмиян" in wallet.text.lower()  # the guide in the page's language
    link = wallet.find_element("css selector", "a.wallet__download")
    path = f"/certificates/{cert.number}/credential.json"
    assert link.get_attribute("href") == registry_server.base_url + path
    shown_url = wallet.find_element("css selector", "input.wallet__url").get_attribute("value")
    assert shown_url == registry_server.base_url + path
    with urllib.request.urlopen(shown_url, timeout=10) as response:  # the file is there
        credential = json.loads(response.read())
    assert "OpenBadgeCredential" in credential["type"]
    page.switch_language("en")
    assert "Add to a digital wallet" in page.driver.find_element(
        "css selector", "section.wallet").text
    page.screenshot("wallet-kk")
    # Not offered for a certificate that is not in force.
    assert open_verdict(page, registry_server.url(registry_server.revoked.token)) == "REVOKED"
    assert page.driver.find_elements("css selector", "section.wallet") == []
    page.assert_clean()
