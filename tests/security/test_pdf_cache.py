"""The printable certificate is rendered once per state and revalidated by ``ETag``
(issue 10): the same page is served from the cache, ``If-None-Match`` answers 304, and every
change of what the page shows — revocation, supersession, an erased name — changes the tag."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from api.apiclient import Api, make_client
from support import ADMIN, certified, revoked

from registry.clock import FixedClock
from registry.config import Settings
from registry.web.pdf import PdfCache, _content, etag_of, matches


@pytest.fixture
def api(sqlite_settings: Settings, clock: FixedClock) -> Iterator[Api]:
    with make_client(sqlite_settings, clock) as client:
        yield Api(client)


def cache_of(api: Api) -> PdfCache:
    cache: PdfCache = api.client.app.state.pdf_cache  # type: ignore[attr-defined]
    return cache


def pdf(api: Api, number: str, **headers: str) -> Any:
    return api.client.get(f"/certificates/{number}.pdf", headers=headers)


def test_the_same_certificate_is_rendered_once_and_served_with_a_weak_etag(api: Api) -> None:
    number = certified(api.container.service)["number"]
    first, second = pdf(api, number), pdf(api, number)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first.content.startswith(b"%PDF-")
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["etag"].startswith('W/"')
    assert first.headers["cache-control"] == "no-cache"
    assert cache_of(api).renders == 1


@pytest.mark.parametrize("header", ["{etag}", 'W/"other", {etag}', "*",
                                    "{bare}"])
def test_if_none_match_answers_304_without_rendering(api: Api, header: str) -> None:
    number = certified(api.container.service)["number"]
    etag = pdf(api, number).headers["etag"]
    renders = cache_of(api).renders
    answer = pdf(api, number, **{"if-none-match": header.format(
        etag=etag, bare=etag.removeprefix("W/"))})
    assert answer.status_code == 304
    assert answer.content == b""
    assert answer.headers["etag"] == etag
    assert cache_of(api).renders == renders


def test_a_stale_or_foreign_etag_gets_the_page(api: Api) -> None:
    number = certified(api.container.service)["number"]
    answer = pdf(api, number, **{"if-none-match": 'W/"0123456789abcdef", "x"'})
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF-")


def test_a_revocation_changes_the_etag_and_the_page(api: Api) -> None:
    service = api.container.service
    number = certified(service)["number"]
    before = pdf(api, number)
    revoked(service, number, "Plagiarism found")
    after = pdf(api, number, **{"if-none-match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert after.content != before.content
    assert cache_of(api).renders == 2


def test_a_supersession_changes_the_etag_of_the_old_certificate(api: Api) -> None:
    service = api.container.service
    number = certified(service)["number"]
    before = pdf(api, number).headers["etag"]
    service.run(ADMIN, lambda cmd: cmd.certificates.reissue(
        number=number, full_name="Әлия Ғабитқызы Құрманова-Сәрсен", reason="name corrected"))
    assert pdf(api, number, **{"if-none-match": before}).status_code == 200
    assert pdf(api, number).headers["etag"] != before


def test_every_field_the_page_shows_is_in_the_etag(api: Api) -> None:
    service = api.container.service
    cert = certified(service)
    learner = service.get("learners", cert["learnerId"])
    mooc = service.get("moocs", cert["moocCode"])
    settings = api.container.settings
    base = etag_of(_content(cert, learner, mooc, settings))
    changed = [
        _content({**cert, "fullName": ""}, learner, mooc, settings),  # an erased name
        _content(cert, {**learner, "fullNameLatin": None}, mooc, settings),
        _content(cert, learner, {**mooc, "hours": 1}, settings),
        _content({**cert, "status": "REVOKED", "revocationReason": "x"}, learner, mooc,
                 settings),
        _content({**cert, "supersededBy": "X"}, learner, mooc, settings),
        _content({**cert, "token": cert["token"] + "x"}, learner, mooc, settings),
        _content(cert, learner, mooc, replace(settings, public_url="https://other.example")),
    ]
    tags = {etag_of(content) for content in changed}
    assert base not in tags and len(tags) == len(changed)
    assert etag_of(_content(dict(cert), dict(learner or {}), mooc, settings)) == base


def test_the_cache_is_bounded_and_drops_the_least_recently_used(api: Api) -> None:
    service = api.container.service
    cert = certified(service)
    content = _content(cert, None, None, api.container.settings)
    one = PdfCache(max_bytes=10)
    assert one.pdf("a", content).startswith(b"%PDF-")
    assert one.pdf("a", content) and one.renders == 2  # too big to keep: rendered again
    size = len(one.pdf("a", content))
    two = PdfCache(max_bytes=2 * size + size // 2)
    for tag in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" comes
        two.pdf(tag, content)
    assert two.renders == 3
    two.pdf("a", content)
    assert two.renders == 3
    two.pdf("b", content)
    assert two.renders == 4


@pytest.mark.parametrize("header,expected", [
    (None, False), ("", False), ('W/"abc"', True), ('"abc"', True), ("*", True),
    ('"abd", W/"abc"', True), ('"ab"', False), ('W/"abcd"', False),
])
def test_if_none_match_uses_weak_comparison(header: str | None, expected: bool) -> None:
    assert matches(header, 'W/"abc"') is expected
