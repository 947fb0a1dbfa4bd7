"""``registry demo`` (issue 14, capability 4): an empty registry filled with a KazNU-like term
through the application's commands, on SQLite and PostgreSQL; every link it prints answers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient
from support import cli_env

from registry.bootstrap import build
from registry.cli import main
from registry.config import Settings
from registry.web.app import create_app

LEARNERS = 40


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def where(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The environment a demo runs in: a new data folder, and on PostgreSQL a new schema."""
    settings: Settings = request.getfixturevalue(f"{request.param}_settings")
    cli_env(monkeypatch, settings)
    monkeypatch.delenv("REGISTRY_KEY_PASSPHRASE", raising=False)
    return Settings.from_env()


def run_demo(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["demo", "--quiet", *args])
    out, err = capsys.readouterr()
    return code, out, err


def printed(out: str) -> dict[str, str]:
    """The demo's link lines: label → value."""
    return {label.strip(): value.strip() for label, _, value in
            (line.partition(": ") for line in out.splitlines() if ": " in line)}


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def graphql(client: TestClient, query: str, token: str | None = None,
            variables: dict[str, Any] | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json={"query": query, "variables": variables},
                           headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def verify_number(client: TestClient, number: str) -> dict[str, Any]:
    response = client.post("/api/verify", json={"number": number})
    assert response.status_code == 200
    verdict: dict[str, Any] = response.json()
    return verdict


def number_in(link: str) -> str:
    found = re.search(r"/certificates/([^/]+)\.pdf", link)
    assert found, link
    return found.group(1)


def test_the_demo_fills_an_empty_registry_and_every_link_answers(
        where: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_demo(capsys, "--learners", str(LEARNERS), "--seed", "7")
    assert code == 0, err
    links = printed(out)
    base = where.public_url
    assert links["GraphiQL"] == f"{base}/graphql"
    assert "admin token" in out and "full access" in out
    admin = next(v for k, v in links.items() if k.startswith("admin token"))
    assert admin.startswith("det_")
    assert re.search(r"[\d,]+ events — 40 learners", err)

    with TestClient(create_app(Settings.from_env())) as http:
        check_links(http, links, admin, base)

    # A registry that has events is refused, in one line, and nothing is added.
    before = events_in(where)
    code, out, err = run_demo(capsys, "--learners", "3")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "already has" in err
    assert events_in(where) == before


def check_links(http: TestClient, links: dict[str, str], admin: str, base: str) -> None:
    page = http.get(local(links["GraphiQL"]), headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()

    page_url = links["a certificate's page"]
    assert page_url.startswith(f"{base}/v#")
    assert http.get(local(page_url.split("#")[0])).status_code == 200
    token = page_url.split("#", 1)[1]
    verdict = http.post("/api/verify", json={"token": token}).json()
    assert verdict["status"] == "VALID", verdict

    pdf = http.get(local(links["its PDF"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert verdict["certificate"]["number"] == number_in(links["its PDF"])

    revoked = number_in(links["a revoked one"])
    assert verify_number(http, revoked)["status"] == "REVOKED"
    old_link, _, new_link = links["a reissued one"].partition(" → ")
    old, new = number_in(old_link), number_in(new_link)
    superseded = verify_number(http, old)
    assert superseded["certificate"]["supersededBy"] == new
    assert verify_number(http, new)["status"] == "VALID"
    assert http.get(local(new_link)).content.startswith(b"%PDF")

    # The term, as the staff's screens show it once the views have caught up.
    data = graphql(http, """{ statistics { moocsByStatus { status count } learners
        programSubmissionsAwaitingInet }
        platform(code: "stepik.org") { code approved }
        programSubmissions(first: 5) { nodes { status type missing documents { kind } } } }""",
                   admin)
    states = {row["status"] for row in data["statistics"]["moocsByStatus"] if row["count"]}
    assert states == {"DRAFT", "IN_REVIEW", "IN_APPROBATION", "APPROVED", "PUBLISHED",
                      "CLOSED"}
    assert data["statistics"]["learners"] == LEARNERS
    assert data["platform"] == {"code": "stepik.org", "approved": False}  # suspended
    [package] = data["programSubmissions"]["nodes"]
    assert package["type"] == "MBA" and package["missing"] == [] and package["status"] == "ACCEPTED"
    assert {d["kind"] for d in package["documents"]} == {
        "VICE_RECTOR_ORDER", "ACADEMIC_CALENDAR", "CURRICULUM", "COST_ESTIMATE",
        "PROGRAMME_PASSPORT", "SYLLABUS", "TIMETABLE"}
    names = [n["fullName"] for n in graphql(
        http, "{ learners(first: 100) { nodes { fullName } } }", admin)["learners"]["nodes"]]
    assert len(names) == LEARNERS
    assert any(set(name) & set("ӘәҒғҚқҢңӨөҰұҮүІі") for name in names)  # Kazakh letters
    assert any(name.endswith(("вич", "вна")) for name in names)  # Russian patronymics


def events_in(settings: Settings) -> int:
    container = build(settings, seed=False, run_projections=False)
    try:
        return container.app.last_notification_id()
    finally:
        container.close()


def test_the_same_seed_makes_the_same_term(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)
    monkeypatch.setenv("REGISTRY_PUBLIC_URL", "https://registry.example.kz")

    def term(folder: str, seed: int) -> list[tuple[str, ...]]:
        monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / folder))
        assert run_demo(capsys, "--learners", "25", "--seed", str(seed))[0] == 0
        container = build(Settings.from_env(), seed=False, run_projections=False)
        try:
            service = container.service
            learners = {d["id"]: d["fullName"] for d in service.find("learners", limit=1000)}
            return sorted(
                (learners[e["learnerId"]], e["moocCode"], str(e["totalPoints"]),
                 str(e.get("finalGrade")), str(e["passed"]))
                for e in service.find("enrollments", limit=1000))
        finally:
            container.close()

    first, again, other = term("a", 11), term("b", 11), term("c", 12)
    assert first == again
    assert first != other
