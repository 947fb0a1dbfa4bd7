"""Issue 16 on the verification page: the certificate's log proof, linked in plain words in
Kazakh, Russian and English ("recorded in the university's public log, confirmed by N
independent witnesses"), laid out at a phone's and a desktop's width (screenshots in
test-artifacts/verify-proof-*.png).

Two witnesses' real cosignatures (``cosignature.py``) are put on the registry's latest
checkpoint for the test, as the witnesses' round trip would store them. With none, the page
says "recorded in the university's public log (entry N)" (test_verify_page.py)."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from e2e.test_verify_page import DESKTOP, PHONE, Browser, open_verdict

from registry.audit.cosignature import WitnessSigner, cosign

LiveRegistry = Any
WITNESSES = ("witness.enu.kz", "witness.satbayev.kz")

RECORDED = {
    "kk": "Университеттің ашық журналына жазылған (№{i} жазба), оны 2 тәуелсіз куәгер растады",
    "ru": "Записан в открытый журнал университета (запись № {i}); подтверждено 2 независимыми "
          "свидетелями",
    "en": "Recorded in the university's public log (entry {i}), confirmed by 2 independent "
          "witnesses",
}


def _set_note(view: Any, size: int, note: str) -> None:
    with view.datastore.transaction(commit=True) as c:
        c.execute(view.sql(f"UPDATE {view.checkpoints_table()} SET note = ? "
                           "WHERE tree_size = ?"), [note, size])


@pytest.fixture
def witnessed(registry_server: LiveRegistry) -> Iterator[LiveRegistry]:
    view = registry_server.recorder.app.state.container.audit.view
    latest = view.latest_checkpoint()
    body = latest.note.partition("\n\n")[0] + "\n"
    lines = "".join(cosign(body, WitnessSigner.generate(name), 1_780_000_000)
                    for name in WITNESSES)
    _set_note(view, latest.size, latest.note + lines)
    try:
        yield registry_server
    finally:
        _set_note(view, latest.size, latest.note)


def _index(registry: LiveRegistry, number: str) -> int:
    log = registry.recorder.app.state.container.audit
    index: int = log.certificate_log_index(number)
    return index


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_the_page_links_the_witnessed_proof_in_plain_words(
    open_browser: Browser, witnessed: LiveRegistry, width: int
) -> None:
    page = open_browser()
    page.set_viewport(width)
    cert = witnessed.valid
    index = _index(witnessed, cert.number)
    assert open_verdict(page, witnessed.url(cert.token)) == "VALID"
    for lang in ("kk", "ru", "en"):
        page.switch_language(lang)
        assert page.field("auditLog") == RECORDED[lang].format(i=index)
        assert page.layout_problems() == [], (lang, width)
        page.full_screenshot(f"proof-{width}-{lang}")
    link = page.driver.find_element("css selector", '[data-field="auditLog"] a')
    assert link.get_attribute("href") == f"{witnessed.base_url}/certificates/{cert.number}/proof"
    assert link.get_attribute("download") == f"{cert.number}.tlog-proof"
    hint = page.driver.find_element("css selector", '[data-field="auditLog"] .field__hint')
    assert "offline" in hint.text
    # what the link downloads: the proof, the two cosignatures on its checkpoint
    with urllib.request.urlopen(f"{witnessed.base_url}/certificates/{cert.number}/proof") as r:
        proof = r.read().decode("utf-8")
    assert proof.startswith("c2sp.org/tlog-proof@v1\n")
    assert all(f"\n\u2014 {name} " in proof for name in WITNESSES)
    page.assert_clean()

