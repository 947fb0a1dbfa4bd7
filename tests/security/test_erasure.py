"""Erasure (SPEC §10): `erasePersonalData` and `registry personal erase`, on both back-ends.

After it the learner is a record without a person: every view, answer and paper forgets the
name, while certificates keep number and status and every audit proof still verifies."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import personal_world
import pytest
from personal_world import (
    A_NAME,
    A_REVOCATION,
    B_CORRECTED,
    B_EMAIL,
    World,
    event_count,
    found_in,
    personal_rows,
    populate,
    sqlite_file_bytes,
    table_rows,
)
from support import OnPostgres, OnSQLite

from registry.application.context import CommandContext
from registry.cli import main
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.errors import InvalidTransition

from apiclient import Api, make_client  # isort: skip  (tests/api, put on the path above)

REASON = "Request 2026/117 under the Law on personal data, art. 16"

ERASE = """mutation($input: ErasePersonalDataInput!) { erasePersonalData(input: $input) {
  id erased fullName fullNameLatin email } }"""
LEARNER = """query($id: ID!) { learner(id: $id) { id erased fullName fullNameLatin email
  history { type onBehalfOf personal }
  certificates { edges { node { number status fullName revocationReason token } } } } }"""
SEARCH = "query($q: String!) { learners(search: $q) { totalCount edges { node { id } } } }"
ENROLLMENT = """query($id: ID!) { enrollment(id: $id) { totalPoints passed
  learner { fullName erased } certificate { number status fullName }
  history { type personal } } }"""
CERTIFICATE = """query($n: String!) { certificate(number: $n) {
  number status fullName revocationReason } }"""


def ok(body: dict[str, Any], name: str) -> Any:
    assert "errors" not in body, body["errors"]
    return body["data"][name]


def refused(body: dict[str, Any]) -> str:
    assert body["data"] is None, body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


class ErasureCase:
    @pytest.fixture
    def api(self, settings: Settings, clock: FixedClock) -> Iterator[Api]:
        with make_client(settings, clock) as client:
            yield Api(client)

    @pytest.fixture
    def admin(self, api: Api) -> str:
        return api.token("admin", "Test Admin")

    @pytest.fixture
    def world(self, api: Api) -> World:
        return populate(api.container.service)

    @pytest.fixture
    def cli_env(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        personal_world.cli_env(monkeypatch, settings)

    def erase(self, api: Api, token: str | None, learner: str, reason: str = REASON
              ) -> dict[str, Any]:
        return api(ERASE, {"input": {"learnerId": learner, "reason": reason}}, token=token)

    def verify(self, api: Api, **body: str) -> dict[str, Any]:
        response = api.client.post("/api/verify", json=body)
        assert response.status_code == 200
        answer: dict[str, Any] = response.json()
        return answer

    # -- the mutation, end to end ------------------------------------------------------------

    def test_an_admin_erases_a_learner_from_every_view_and_answer(
        self, api: Api, admin: str, world: World, settings: Settings
    ) -> None:
        a = world.learner_a
        erased = ok(self.erase(api, admin, a), "erasePersonalData")
        assert erased == {"id": a, "erased": True, "fullName": "", "fullNameLatin": None,
                          "email": None}

        learner = ok(api(LEARNER, {"id": a}, token=admin), "learner")
        assert (learner["erased"], learner["fullName"], learner["email"]) == (True, "", None)
        certificates = {e["node"]["number"]: e["node"] for e in learner["certificates"]["edges"]}
        assert certificates[world.active_a["number"]] == {
            "number": world.active_a["number"], "status": "ACTIVE", "fullName": "",
            "revocationReason": None, "token": ""}
        assert certificates[world.revoked_a["number"]]["status"] == "REVOKED"
        assert certificates[world.revoked_a["number"]]["revocationReason"] is None
        history = {h["type"]: h for h in learner["history"]}
        assert history["Registered"]["personal"] is None
        assert history["IdentityVerified"]["onBehalfOf"] is None
        assert history["PersonalDataErased"]["personal"] == {"reason": REASON}
        assert ok(api(SEARCH, {"q": "Әлия"}, token=admin), "learners")["totalCount"] == 0
        assert ok(api(SEARCH, {"q": "kurmanova"}, token=admin), "learners")["totalCount"] == 0

        enrollment = ok(api(ENROLLMENT, {"id": world.enrollment_a}, token=admin), "enrollment")
        assert enrollment["learner"] == {"fullName": "", "erased": True}
        assert enrollment["passed"] is True and enrollment["certificate"]["fullName"] == ""
        assert all(h["personal"] is None for h in enrollment["history"])
        public = ok(api(CERTIFICATE, {"n": world.revoked_a["number"]}), "certificate")
        assert public == {"number": world.revoked_a["number"], "status": "REVOKED",
                          "fullName": "", "revocationReason": None}
        assert api.container.commands.learners.get(uuid.UUID(a)).iin is None

        # Verification: by number no name; by token the token's own name, and says why.
        by_number = self.verify(api, number=world.active_a["number"])
        assert by_number["status"] == "VALID" and by_number["certificate"]["fullName"] == ""
        assert "no longer keeps" in by_number["reason"]
        by_token = self.verify(api, token=world.active_a["token"])
        assert by_token["status"] == "VALID" and by_token["certificate"]["fullName"] == A_NAME
        assert "no longer keeps" in by_token["reason"]
        revoked = self.verify(api, token=world.revoked_a["token"])
        assert revoked["status"] == "REVOKED" and "no longer keeps" in revoked["reason"]
        assert A_REVOCATION not in revoked["reason"]
        kept = self.verify(api, number=world.active_b["number"])
        assert kept["certificate"]["fullName"] == B_CORRECTED and kept["reason"] is None

        pdf = api.client.get(f"/certificates/{world.active_a['number']}.pdf")
        assert pdf.status_code == 410 and "no longer keeps" in pdf.json()["reason"]
        assert api.client.get(f"/certificates/{world.active_b['number']}.pdf").status_code == 200

        # The key, the parts and the salts are gone; learner B is untouched.
        store = api.container.app.personal_store
        assert not store.has_key(a) and personal_rows(api.container, "WHERE key_id = ?", (a,)) == []
        other = ok(api(LEARNER, {"id": world.learner_b}, token=admin), "learner")
        assert (other["fullName"], other["email"]) == (B_CORRECTED, B_EMAIL)
        everything = table_rows(settings, views=True)
        assert found_in(everything, world.secrets_of_a) == []
        assert found_in(everything, [B_CORRECTED]) == [B_CORRECTED]
        if settings.database_url is None:  # the file itself, WAL and free space included
            assert found_in(sqlite_file_bytes(settings), world.secrets_of_a) == []
            assert found_in(sqlite_file_bytes(settings), [B_CORRECTED]) == [B_CORRECTED]

        # Erasing again is harmless: the same answer, nothing new stored.
        before = api.event_count()
        assert ok(self.erase(api, admin, a, "again"), "erasePersonalData") == erased
        assert api.event_count() == before

    def test_refusals_store_no_event(self, api: Api, admin: str, world: World) -> None:
        before = api.event_count()
        assert refused(self.erase(api, None, world.learner_a)) == "UNAUTHENTICATED"
        for role in ("inet", "auditor", "dean", "teacher", "committee", "faculty"):
            assert refused(self.erase(api, api.token(role), world.learner_a)) == "FORBIDDEN"
        learner_token = api.token("learner", "own", learner=world.learner_a)
        assert refused(self.erase(api, learner_token, world.learner_a)) == "FORBIDDEN"
        before = api.event_count()  # (tokens are events too)
        assert refused(self.erase(api, admin, world.learner_a, "  ")) == "INVALID_INPUT"
        assert refused(self.erase(api, admin, str(uuid.uuid4()))) == "NOT_FOUND"
        assert refused(self.erase(api, admin, "not-an-id")) == "INVALID_INPUT"
        assert api.event_count() == before
        learner = ok(api(LEARNER, {"id": world.learner_a}, token=admin), "learner")
        assert (learner["erased"], learner["fullName"]) == (False, A_NAME)

    # -- the audit log keeps every proof -----------------------------------------------------

    def test_the_audit_log_still_verifies_after_an_erasure(
        self, api: Api, admin: str, world: World, cli_env: None, tmp_path: Path,
        capsysbinary: pytest.CaptureFixture[bytes]
    ) -> None:
        def out(*argv: str) -> bytes:
            assert main(list(argv)) == 0
            return capsysbinary.readouterr().out

        (tmp_path / "before").write_bytes(out("audit", "checkpoint"))
        (tmp_path / "vkey").write_bytes(out("audit", "vkey"))
        ok(self.erase(api, admin, world.learner_a), "erasePersonalData")
        assert main(["audit", "export", "--out", str(tmp_path / "export"),
                     "--personal", str(tmp_path / "personal")]) == 0
        (tmp_path / "after").write_bytes(out("audit", "checkpoint"))
        capsysbinary.readouterr()
        for note in ("before", "after"):  # a checkpoint from before the erasure still holds
            assert main(["audit", "verify", str(tmp_path / "export"), "--checkpoint",
                         str(tmp_path / note), "--vkey", str(tmp_path / "vkey"),
                         "--personal", str(tmp_path / "personal")]) == 0
            report = capsysbinary.readouterr().err.decode()
            assert report.startswith("OK") and "were erased" in report, report
        personal = [json.loads(line) for line in (tmp_path / "personal").read_bytes().splitlines()]
        # A's parts: registration, identity (its X-On-Behalf-Of), the score correction, two
        # issuances, the revocation.
        assert sum(1 for p in personal if p.get("erased")) == 6
        assert found_in((tmp_path / "personal").read_bytes(), world.secrets_of_a) == []
        assert found_in((tmp_path / "personal").read_bytes(), [B_CORRECTED]) == [B_CORRECTED]
        assert found_in((tmp_path / "export").read_bytes(), world.secrets) == []
        erasure = [json.loads(line) for line in (tmp_path / "export").read_bytes().splitlines()
                   if b'"Learner.PersonalDataErased"' in line]
        assert len(erasure) == 1 and erasure[0]["payload"] == {}
        assert erasure[0]["personal_commitment"] and REASON.encode() not in json.dumps(
            erasure[0]).encode()

    # -- the command line ------------------------------------------------------------------

    def test_the_cli_erases_a_learner_and_refuses_what_it_cannot(
        self, api: Api, admin: str, world: World, cli_env: None,
        capsys: pytest.CaptureFixture[str]
    ) -> None:
        before = api.event_count()
        assert main(["personal", "erase", "--learner", str(uuid.uuid4()),
                     "--reason", REASON]) == 1
        assert "does not exist" in capsys.readouterr().err
        assert main(["personal", "erase", "--learner", world.learner_a, "--reason", " "]) == 2
        assert "reason" in capsys.readouterr().err
        assert main(["personal", "erase", "--learner", "nope", "--reason", REASON]) == 2
        assert api.event_count() == before

        assert main(["personal", "erase", "--learner", world.learner_a, "--reason", REASON]) == 0
        assert capsys.readouterr().out.strip() == world.learner_a
        learner = ok(api(LEARNER, {"id": world.learner_a}, token=admin), "learner")
        assert (learner["erased"], learner["fullName"]) == (True, "")
        erasure = next(h for h in learner["history"] if h["type"] == "PersonalDataErased")
        assert erasure["personal"] == {"reason": REASON}
        events = api.container.service.history(uuid.UUID(world.learner_a))
        assert events[-1]["actorName"] == "registry-cli" and events[-1]["actorRole"] == "operator"
        after = api.event_count()
        assert main(["personal", "erase", "--learner", world.learner_a, "--reason", REASON]) == 0
        assert api.event_count() == after

    # -- crash safety and what an erased learner can no longer get ----------------------------

    def test_an_erasure_cut_short_is_finished_by_running_it_again(
        self, api: Api, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        service, store = api.container.service, api.container.app.personal_store
        operator = CommandContext(actor_name="registry-cli", actor_role="operator")

        def crash(subject: str, refs: Any = ()) -> int:
            raise RuntimeError("power cut")

        monkeypatch.setattr(store, "erase_subject", crash)
        with pytest.raises(RuntimeError, match="power cut"):
            service.erase_personal_data(operator, uuid.UUID(world.learner_a), REASON)
        monkeypatch.undo()
        assert store.has_key(world.learner_a)  # the events are stored, the key not yet gone
        api.container.wait_for_views()
        assert service.get("learners", world.learner_a)["fullName"] == ""  # type: ignore[index]
        before = event_count(api.container)
        service.erase_personal_data(operator, uuid.UUID(world.learner_a), REASON)
        assert not store.has_key(world.learner_a)
        assert event_count(api.container) == before
        types = [e["type"] for e in service.history(uuid.UUID(world.learner_a))]
        assert types.count("PersonalDataErased") == 1

    def test_an_erased_learner_gets_no_new_enrolment_certificate_or_name(
        self, api: Api, world: World
    ) -> None:
        service = api.container.service
        operator = CommandContext(actor_name="registry-cli", actor_role="operator")
        service.erase_personal_data(operator, uuid.UUID(world.learner_a), REASON)
        learner_id = uuid.UUID(world.learner_a)
        with pytest.raises(InvalidTransition, match="erased"):
            service.run(operator, lambda cmd: cmd.certificates.reissue(
                number=world.active_a["number"], full_name="Someone Else", reason="x"))
        from support import published_mooc

        published_mooc(service, "OTHER-101")
        with pytest.raises(InvalidTransition, match="erased"):
            service.run(operator, lambda cmd: cmd.enrollments.enroll(learner_id=learner_id,
                                                                     mooc_code="OTHER-101"))
        # A revocation of the erased holder's certificate is still possible …
        service.run(operator, lambda cmd: cmd.certificates.revoke(
            number=world.active_a["number"], reason="Withdrawn by the Academic Council"))
        assert service.verify_number(world.active_a["number"])["status"] == "REVOKED"
        # … its reason (the holder's personal data) is kept nowhere: no key is made again
        assert not api.container.app.personal_store.has_key(world.learner_a)
        api.container.wait_for_views()
        body = api(CERTIFICATE, {"n": world.active_a["number"]}, token=api.token("inet", "I"))
        assert ok(body, "certificate")["revocationReason"] is None
        # … but no new certificate for the person the registry no longer knows.
        with pytest.raises(InvalidTransition, match="erased"):
            service.run(operator, lambda cmd: cmd.certificates.issue(
                enrollment_id=uuid.UUID(world.enrollment_a)))


class TestSQLite(OnSQLite, ErasureCase):
    pass


class TestPostgres(OnPostgres, ErasureCase):
    pass
