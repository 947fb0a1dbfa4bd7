"""API tokens and OIDC sign-in (SPEC §10): listing never shows a secret, revocation and expiry
are refused with a message that says which (in every process within a second), a teacher token
names courses the registry has, a learner token's name stays in the personal part, and bearer
JWTs of the university's identity provider are accepted only when everything about them holds.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from api.apiclient import Api, make_client
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, Key, OctKey, OKPKey, RSAKey
from support import ADMIN, published_mooc, registered, token

from registry.application.tokens import token_digest
from registry.bootstrap import build
from registry.cli import main
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.access import ApiToken, Role
from registry.domain.errors import Unauthenticated
from registry.domain.materials import MaterialsRecord
from registry.oidc import OidcConfigError, UrlKeySet

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)  # the conftest clock: 15:00 in Almaty
ME = "query { me { id } }"
LEARNER = "query($id: ID!) { learner(id: $id) { id } }"
LEARNER_HISTORY = "query($id: ID!) { learner(id: $id) { history { type actor { name role } } } }"
REGISTER = """mutation($input: RegisterLearnerInput!) { registerLearner(input: $input) { id } }"""
DRAFT = """mutation($input: DraftMoocInput!) { draftMooc(input: $input) { code } }"""
IIN = "900101300007"


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    assert not any((body.get("data") or {}).values()), body
    error: dict[str, Any] = body["errors"][0]
    return error


def refusal(body: dict[str, Any], code: str = "UNAUTHENTICATED") -> str:
    error = error_of(body)
    assert error["extensions"]["code"] == code, error
    return str(error["message"])


@pytest.fixture
def api(sqlite_settings: Settings, clock: FixedClock) -> Iterator[Api]:
    with make_client(sqlite_settings, clock) as client:
        yield Api(client)


def stored_bytes(api_or_container: Any) -> bytes:
    container = getattr(api_or_container, "container", api_or_container)
    notifications = container.app.recorder.select_notifications(start=1, limit=1_000_000)
    return b"\n".join(bytes(n.state) for n in notifications)


def forms(text: str) -> list[bytes]:
    """The ways a name could appear in stored JSON: as UTF-8 and as \\u escapes."""
    return [text.encode(), json.dumps(text).strip('"').encode()]


# -- the CLI: create, list, revoke ----------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REGISTRY_PUBLIC_URL", "https://registry.example.kz")
    for name in ("REGISTRY_DATABASE_URL", "REGISTRY_TOKEN_LIFETIME_DAYS", "REGISTRY_OIDC_ISSUER",
                 "REGISTRY_OIDC_AUDIENCE", "REGISTRY_OIDC_JWKS"):
        monkeypatch.delenv(name, raising=False)
    build(Settings.from_env()).close()  # token commands refuse to found a registry
    return tmp_path / "var"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_token_but_never_a_secret_or_its_hash(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, admin, _ = cli(capsys, "token", "create", "--role", "admin", "--name", "Ops")
    assert code == 0 and admin.count("\n") == 1  # the token and nothing else
    code, inet, _ = cli(capsys, "token", "create", "--role", "inet", "--name", "INET office",
                        "--expires", "2999-12-31")
    assert code == 0
    secrets = [admin.strip(), inet.strip()]

    code, table, _ = cli(capsys, "token", "list")
    assert code == 0
    code, listing, _ = cli(capsys, "token", "list", "--json")
    assert code == 0
    for output in (table, listing):
        for secret in secrets:
            assert secret not in output
            assert token_digest(secret) not in output
            assert secret.removeprefix("det_")[:12] not in output
    tokens = json.loads(listing)
    assert [(t["name"], t["role"]) for t in tokens] == [("Ops", "admin"),
                                                       ("INET office", "inet")]
    assert set(tokens[0]) == {"id", "name", "role", "learner", "faculty", "courses", "created",
                              "expires", "revoked"}
    assert tokens[1]["expires"] == "2999-12-31" and tokens[1]["revoked"] is None
    assert tokens[0]["id"][:8] in table and "2999-12-31" in table and "INET office" in table


def test_revoke_by_id_prefix_is_recorded_once_and_refused_from_then_on(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, secret, _ = cli(capsys, "token", "create", "--role", "inet", "--name", "Leaked")
    secret = secret.strip()
    token_id = str(ApiToken.create_id(token_digest(secret)))

    code, out, err = cli(capsys, "token", "revoke", token_id[:8])
    assert (code, out) == (0, "") and f"token {token_id} revoked" in err
    code, out, err = cli(capsys, "token", "revoke", token_id)
    assert (code, out) == (0, "") and "already revoked; nothing recorded" in err

    container = build(Settings.from_env(), seed=False)
    try:
        events = [type(e).__name__ for e in container.app.events.get(uuid.UUID(token_id))]
        assert events.count("Revoked") == 1
        with pytest.raises(Unauthenticated, match="revoked on"):
            container.service.authenticate(secret)
    finally:
        container.close()
    listed = json.loads(cli(capsys, "token", "list", "--json")[1])
    assert listed[0]["revoked"] is not None


@pytest.mark.parametrize("ref, message", [
    ("00000000-0000-0000-0000-000000000000", "No token has the id"),
    ("abc", "at least 4 of its first characters"),
])
def test_revoking_an_unknown_id_exits_1_and_says_so(
        data_dir: Path, capsys: pytest.CaptureFixture[str], ref: str, message: str) -> None:
    cli(capsys, "token", "create", "--role", "inet", "--name", "x")
    code, out, err = cli(capsys, "token", "revoke", ref)
    assert (code, out) == (1, "") and message in err and "registry token list" in err


def test_create_refuses_a_past_or_malformed_expiry_and_prints_nothing(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "token", "create", "--role", "inet", "--name", "x",
                         "--expires", "2020-01-01")
    assert (code, out) == (1, "") and "already past" in err
    code, out, err = cli(capsys, "token", "create", "--role", "inet", "--name", "x",
                         "--expires", "2026-02-30")
    assert (code, out) == (2, "") and "YYYY-MM-DD" in err
    code, out, _ = cli(capsys, "token", "create", "--role", "inet", "--name", "forever",
                       "--expires", "never")
    assert code == 0 and out.startswith("det_")
    assert json.loads(cli(capsys, "token", "list", "--json")[1])[0]["expires"] is None


def test_a_teacher_token_names_only_courses_the_registry_has(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "token", "create", "--role", "teacher", "--name", "Prof. X",
                         "--course", "NOPE-101")
    assert (code, out) == (1, "") and "NOPE-101 is not in the registry" in err

    container = build(Settings.from_env())
    try:
        service = container.service
        published_mooc(service, "KAZLIT-101")  # a MOOC …
        discipline = MaterialsRecord.checked(code="LAW-210", title=None, moodle_course_url=None,
                                             syllabus_complex_uploaded=None, der_uploaded=None)
        service.run(ADMIN, lambda cmd: cmd.materials.record(discipline))  # a discipline
        before = container.app.last_notification_id()
    finally:
        container.close()
    code, out, err = cli(capsys, "token", "create", "--role", "teacher", "--name", "Prof. X",
                         "--course", "KAZLIT-101", "--course", "LAW-210", "--course", "GONE-1")
    assert (code, out) == (1, "") and "GONE-1" in err
    container = build(Settings.from_env(), seed=False)
    assert container.app.last_notification_id() == before  # the refusal stored nothing
    container.close()
    code, out, _ = cli(capsys, "token", "create", "--role", "teacher", "--name", "Prof. X",
                       "--course", "KAZLIT-101", "--course", "LAW-210")
    assert code == 0 and out.startswith("det_")
    assert json.loads(cli(capsys, "token", "list", "--json")[1])[-1]["courses"] == [
        "KAZLIT-101", "LAW-210"]


def test_a_learner_token_is_still_checked_against_the_learners(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "token", "create", "--role", "learner", "--name", "x",
                         "--learner", str(uuid.uuid4()))
    assert (code, out) == (1, "") and "does not exist" in err


def test_a_bad_lifetime_setting_is_one_line_and_exit_2(
        data_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_TOKEN_LIFETIME_DAYS", "a year")
    code, out, err = cli(capsys, "token", "create", "--role", "inet", "--name", "x")
    assert (code, out) == (2, "")
    assert err.strip().count("\n") == 0
    assert err.startswith("REGISTRY_TOKEN_LIFETIME_DAYS: a year: a whole number of days")


# -- refusals: no token, unknown, revoked, expired --------------------------------------------


def test_no_unknown_revoked_and_expired_tokens_are_refused_each_in_its_own_words(
        api: Api, clock: FixedClock) -> None:
    service = api.container.service
    registered_id = registered(service)["id"]
    good = api.token("admin", "Ops")
    revoked = api.token("admin", "Leaked")
    expiring = service.run(ADMIN, lambda cmd: cmd.tokens.create(
        name="Contractor", role=Role.INET, learner_id=None, expires_on=date(2026, 6, 20)))
    service.run(ADMIN, lambda cmd: cmd.tokens.revoke(
        str(ApiToken.create_id(token_digest(revoked)))))
    variables = {"id": registered_id}

    assert api(LEARNER, variables, token=good)["data"]["learner"]["id"] == registered_id
    messages = {
        "none": refusal(api(LEARNER, variables)),
        "unknown": refusal(api(LEARNER, variables, token="det_not-a-real-token")),
        "revoked": refusal(api(LEARNER, variables, token=revoked)),
    }
    assert "needs a token" in messages["none"]
    assert "not known to the registry" in messages["unknown"]
    assert "revoked on 2026-06-15" in messages["revoked"]

    clock.set(datetime(2026, 6, 20, 18, 59, tzinfo=UTC))  # 23:59 on the 20th in Almaty
    assert api(LEARNER, variables, token=expiring)["data"]["learner"]["id"] == registered_id
    clock.set(datetime(2026, 6, 20, 19, 0, tzinfo=UTC))  # 00:00 on the 21st in Almaty
    messages["expired"] = refusal(api(LEARNER, variables, token=expiring))
    assert "expired on 2026-06-20" in messages["expired"]
    assert len(set(messages.values())) == 4
    assert "revoked" not in messages["expired"] and "expired" not in messages["revoked"]
    assert "expired" in refusal(api(ME, token=expiring))  # not "'me' needs a token"


def test_a_revoked_token_is_refused_by_the_audit_log_and_document_downloads_too(
        api: Api) -> None:
    auditor = api.token("auditor", "Auditor")
    assert api.client.get("/log/entries", headers={"Authorization": f"Bearer {auditor}"}
                          ).status_code == 200
    api.container.service.run(ADMIN, lambda cmd: cmd.tokens.revoke(
        str(ApiToken.create_id(token_digest(auditor)))))
    headers = {"Authorization": f"Bearer {auditor}"}
    for path in ("/log/entries", f"/documents/{'0' * 64}"):
        response = api.client.get(path, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert "revoked" in response.text


def test_the_default_lifetime_applies_unless_expires_says_otherwise(
        sqlite_settings: Settings, clock: FixedClock) -> None:
    for days, expected in ((30, "2026-07-15"), (0, None)):
        settings = replace(sqlite_settings, token_lifetime_days=days,
                           data_dir=sqlite_settings.data_dir / str(days))
        container = build(settings, clock, poll_interval=0.05)
        try:
            token(container.service, "inet", "default")
            container.service.run(ADMIN, lambda cmd: cmd.tokens.create(
                name="explicit", role=Role.INET, learner_id=None, expires_on=date(2026, 8, 1)))
            listed = {t["name"]: t["expires"] for t in container.commands.tokens.list_all()}
            assert listed == {"default": expected, "explicit": "2026-08-01"}
        finally:
            container.close()
    assert Settings.from_env({}).token_lifetime_days == 365
    assert Settings.from_env({"REGISTRY_TOKEN_LIFETIME_DAYS": "0"}).token_lifetime_days == 0


# -- revocation reaches every process within a second -----------------------------------------


def test_a_revocation_in_one_process_is_refused_by_another_within_a_second(
        backend_settings: Settings, clock: FixedClock) -> None:
    writer = build(backend_settings, clock, poll_interval=0.05)
    try:
        secret = token(writer.service, "admin", "Shared")
        with make_client(backend_settings, clock) as client:
            other = Api(client)
            variables = {"id": str(uuid.uuid4())}
            assert other(LEARNER, variables, token=secret) == {"data": {"learner": None}}
            writer.service.run(ADMIN, lambda cmd: cmd.tokens.revoke(
                str(ApiToken.create_id(token_digest(secret)))))
            deadline = time.monotonic() + 3.0
            body = other(LEARNER, variables, token=secret)
            while "errors" not in body and time.monotonic() < deadline:
                time.sleep(0.1)
                body = other(LEARNER, variables, token=secret)
            assert "revoked on" in refusal(body)
    finally:
        writer.close()


def test_many_cached_tokens_are_confirmed_together_and_only_a_changed_one_is_read_again(
        backend_settings: Settings, clock: FixedClock) -> None:
    """Keeping a process's tokens current costs one statement per period, not a read of each
    token's history: only the one revoked elsewhere is read again (and refused)."""
    writer = build(backend_settings, clock, poll_interval=0.05)
    reader = build(backend_settings, clock, poll_interval=0.05)  # another process's registry
    try:
        secrets = [token(writer.service, "admin", f"Ops {i}") for i in range(12)]
        tokens = reader.service.commands.tokens
        cache, now = tokens._cache, [1000.0]
        cache.clock = lambda: now[0]
        loads: list[str] = []
        load = tokens._load_token
        tokens._load_token = lambda digest: (loads.append(digest), load(digest))[1]  # type: ignore[method-assign]
        for secret in secrets:
            assert reader.service.authenticate(secret).name.startswith("Ops")
        assert len(loads) == 12
        now[0] += 1.0  # every entry is older than the cache's period now
        assert reader.service.cached_principal(secrets[0]) is None  # it must ask the store
        for secret in secrets:
            assert reader.service.authenticate(secret).name.startswith("Ops")
        assert all(reader.service.cached_principal(secret) for secret in secrets)
        assert (len(loads), cache.confirmations) == (12, 1)  # one statement confirmed all 12
        writer.service.run(ADMIN, lambda cmd: cmd.tokens.revoke(
            str(ApiToken.create_id(token_digest(secrets[3])))))
        now[0] += 1.0
        with pytest.raises(Unauthenticated, match="revoked on"):
            reader.service.authenticate(secrets[3])
        assert (len(loads), cache.confirmations) == (13, 2)  # the revoked one, read again
        assert [reader.service.authenticate(s).name for s in secrets[4:6]] == ["Ops 4", "Ops 5"]
        assert len(loads) == 13
    finally:
        reader.close()
        writer.close()


def test_a_token_unknown_when_first_asked_is_read_again_once_it_exists() -> None:
    from registry.application.tokens import _TokenCache

    now, versions = [0.0], {}
    cache = _TokenCache(0.5, clock=lambda: now[0], confirm=lambda ids: versions)
    assert cache.get("d1", lambda: None) is None  # not issued (yet): a known unknown
    now[0] += 0.1
    assert cache.peek("d1") == (None,)
    versions[ApiToken.create_id("d1")] = 1  # the token was created since, somewhere
    now[0] += 1.0
    assert cache.peek("d1") is None
    made = ApiToken.create(token_sha256="d1", name="Ops", role=Role.ADMIN, learner_id=None)
    assert cache.get("d1", lambda: made) is made


# -- a learner token's name is personal data ------------------------------------------------


def test_a_learner_tokens_name_stays_out_of_stored_events_and_the_audit_export(
        data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    holder = "Зарина Тестқызы Бекова"
    container = build(Settings.from_env())
    try:
        learner_id = registered(container.service, name="Someone Else")["id"]
    finally:
        container.close()
    code, secret, _ = cli(capsys, "token", "create", "--role", "learner", "--name", holder,
                          "--learner", learner_id)
    assert code == 0

    container = build(Settings.from_env(), seed=False)
    try:
        stored = stored_bytes(container)
        assert all(form not in stored for form in forms(holder))
        principal = container.service.authenticate(secret.strip())
        assert principal.name == f"learner:{learner_id}" and principal.learner_id is not None
        events = container.app.events.get(ApiToken.create_id(token_digest(secret.strip())))
        named = [e for e in events if type(e).__name__ == "HolderNamed"]
        assert named and named[0].personal == {"name": holder}  # kept in the personal part
    finally:
        container.close()
    assert json.loads(cli(capsys, "token", "list", "--json")[1])[0]["name"] == holder

    assert main(["audit", "export", "--out", str(tmp_path / "export.jsonl")]) == 0
    exported = (tmp_path / "export.jsonl").read_bytes()
    assert exported.count(b"\n") >= 3
    assert all(form not in exported for form in forms(holder))
    assert b"HolderNamed" in exported and b"personal_commitment" in exported


def test_a_learner_token_acts_under_a_neutral_name(api: Api) -> None:
    learner_id = registered(api.container.service)["id"]
    secret = api.token("learner", "Әлия Құрманова", learner=learner_id)
    assert api(ME, token=secret)["data"]["me"] == {"id": learner_id}
    assert api.container.service.authenticate(secret).name == f"learner:{learner_id}"


# -- OIDC sign-in ---------------------------------------------------------------------------

ISSUER = "https://idp.kaznu.kz/realms/kaznu"
AUDIENCE = "det-registry"
ALGS = ("RS256", "ES256", "EdDSA")


@pytest.fixture(scope="module")
def keys() -> dict[str, Key]:
    return {
        "RS256": RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig",
                                                       "alg": "RS256"}),
        "ES256": ECKey.generate_key("P-256", parameters={"kid": "ec-1"}),
        "EdDSA": OKPKey.generate_key("Ed25519", parameters={"kid": "ed-1"}),
    }


def jwks_file(path: Path, keys: dict[str, Key]) -> Path:
    path.write_text(json.dumps({"keys": [k.as_dict(private=False) for k in keys.values()]}))
    return path


def mint(keys: dict[str, Key], alg: str = "RS256", *, header: dict[str, Any] | None = None,
         key: Key | None = None, **claims: Any) -> str:
    signer = key or keys[alg]
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u-7f3a", "iat": int(NOW.timestamp()),
            "exp": int((NOW + timedelta(minutes=5)).timestamp()), "roles": ["inet"]}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    with warnings.catch_warnings():  # joserfc: "EdDSA is deprecated via RFC 9864"
        warnings.simplefilter("ignore", SecurityWarning)
        return jwt.encode({"alg": alg, "kid": signer.kid, **(header or {})}, body, signer,
                          algorithms=[alg])


def unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


@pytest.fixture
def oidc_settings(sqlite_settings: Settings, keys: dict[str, Key], tmp_path: Path) -> Settings:
    return replace(sqlite_settings, oidc_issuer=ISSUER, oidc_audience=AUDIENCE,
                   oidc_jwks=str(jwks_file(tmp_path / "jwks.json", keys)))


@pytest.fixture
def oidc(oidc_settings: Settings, clock: FixedClock) -> Iterator[Api]:
    with make_client(oidc_settings, clock) as client:
        yield Api(client)


@pytest.mark.parametrize("alg", ALGS)
def test_a_sign_in_token_signed_with_each_allowed_algorithm_acts_as_its_subject(
        oidc: Api, keys: dict[str, Key], alg: str) -> None:
    signed = mint(keys, alg, sub=f"staff-{alg}")
    learner = oidc(REGISTER, {"input": {"fullName": "Асан Қали"}}, token=signed)
    assert "errors" not in learner, learner
    learner_id = learner["data"]["registerLearner"]["id"]
    history = oidc(LEARNER_HISTORY, {"id": learner_id}, token=signed)["data"]["learner"]
    assert history["history"][0]["actor"] == {"name": f"oidc:staff-{alg}", "role": "inet"}


def test_the_first_role_name_in_the_claim_counts_and_the_role_table_still_decides(
        oidc: Api, keys: dict[str, Key]) -> None:
    draft = {"input": {"code": "OIDC-1", "title": {"en": "x"}, "language": "en", "credits": 3}}
    listed = mint(keys, roles=["staff", "offline_access", "inet", "auditor"])
    assert "errors" not in oidc(DRAFT, draft, token=listed)
    auditor = mint(keys, roles="auditor")  # a string is one value
    assert "may not run draftMooc" in refusal(oidc(DRAFT, draft, token=auditor), "FORBIDDEN")


def test_a_learner_sign_in_is_tied_to_the_learner_with_that_iin(
        oidc: Api, keys: dict[str, Key]) -> None:
    learner_id = registered(oidc.container.service, iin=IIN)["id"]
    signed = mint(keys, "ES256", roles=["learner"], iin=IIN, sub="student-1")
    assert oidc(ME, token=signed)["data"]["me"] == {"id": learner_id}
    principal = oidc.container.service.authenticate(signed)
    assert (principal.name, principal.learner_id) == ("oidc:student-1", uuid.UUID(learner_id))

    stranger = mint(keys, roles=["learner"], iin="000101500006")
    assert "No learner in the registry has the IIN" in refusal(oidc(ME, token=stranger))
    anonymous = mint(keys, roles=["learner"])
    assert "needs the 'iin' claim" in refusal(oidc(ME, token=anonymous))


def bad_tokens(keys: dict[str, Key]) -> list[tuple[str, str, str]]:
    five_minutes = int(timedelta(minutes=5).total_seconds())
    now = int(NOW.timestamp())
    rogue = RSAKey.generate_key(2048, parameters={"kid": "rogue"})
    impostor = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": now + 300, "roles": ["admin"]}
    return [
        ("wrong issuer", mint(keys, iss="https://evil.example"), "not by 'https://idp"),
        ("wrong audience", mint(keys, aud="another-app"), "REGISTRY_OIDC_AUDIENCE"),
        ("expired", mint(keys, exp=now - five_minutes), "expired at 2026-06-15 09:55"),
        ("no expiry", mint(keys, exp=None), "no expiry time"),
        ("not yet valid", mint(keys, nbf=now + five_minutes), "not valid before"),
        ("alg none", unsigned(claims, {"alg": "none", "kid": "rsa-1"}), "signed with 'none'"),
        ("HS256", mint(keys, "HS256", key=OctKey.generate_key(256, parameters={"kid": "rsa-1"})),
         "signed with 'HS256'"),
        ("unknown kid", mint(keys, key=rogue), "key 'rogue', which is not in"),
        ("forged signature", mint(keys, key=impostor), "signature does not verify"),
        ("ES256 header on the RSA key", mint(keys, "ES256", key=keys["ES256"],
                                             header={"kid": "rsa-1"}), "is for RS256"),
        ("no role claim", mint(keys, roles=None), "has no 'roles' claim"),
        ("no role in the claim", mint(keys, roles=["staff", "Admin"]), "names no registry role"),
        ("no subject", mint(keys, sub=None), "names no subject"),
    ]


def test_sign_in_tokens_the_rules_refuse_are_unauthenticated_with_the_reason(
        oidc: Api, keys: dict[str, Key]) -> None:
    draft = {"input": {"code": "OIDC-2", "title": {"en": "x"}, "language": "en", "credits": 3}}
    before = oidc.event_count()
    for name, bad, reason in bad_tokens(keys):
        message = refusal(oidc(DRAFT, draft, token=bad))
        assert message.startswith("This sign-in token is refused"), (name, message)
        assert reason in message, (name, message)
    assert oidc.event_count() == before
    leeway = mint(keys, exp=int(NOW.timestamp()) - 30)  # within the 60 s leeway
    assert "errors" not in oidc(DRAFT, draft, token=leeway)


def test_without_oidc_settings_a_jwt_is_just_an_unknown_token(
        api: Api, keys: dict[str, Key]) -> None:
    assert "not known to the registry" in refusal(api(ME, token=mint(keys)))


def test_bad_oidc_configuration_stops_the_start_in_one_line(
        data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    monkeypatch.setenv("REGISTRY_OIDC_ISSUER", ISSUER)
    monkeypatch.setenv("REGISTRY_OIDC_AUDIENCE", AUDIENCE)
    (tmp_path / "empty.json").write_text('{"keys": []}')
    (tmp_path / "junk.json").write_text("not json")
    for jwks, expected in (
        (str(tmp_path / "missing.json"), "a readable JWKS file"),
        (str(tmp_path / "empty.json"), "has no usable signing key"),
        (str(tmp_path / "junk.json"), "it is not JSON"),
        ("http://idp.kaznu.kz/certs", "an https:// URL or a file path"),
    ):
        monkeypatch.setenv("REGISTRY_OIDC_JWKS", jwks)
        code, out, err = cli(capsys, "serve", "--port", "1")
        assert (code, out) == (2, "")
        assert err.count("\n") == 1 and err.startswith(f"REGISTRY_OIDC_JWKS: {jwks}: "), err
        assert expected in err
    monkeypatch.delenv("REGISTRY_OIDC_JWKS")
    code, _, err = cli(capsys, "serve", "--port", "1")
    assert code == 2 and err.startswith("REGISTRY_OIDC_JWKS: (empty): needed with")


def test_build_refuses_a_missing_key_set_file(oidc_settings: Settings) -> None:
    with pytest.raises(OidcConfigError, match="REGISTRY_OIDC_JWKS: .*missing.json"):
        build(replace(oidc_settings, oidc_jwks=str(oidc_settings.data_dir / "missing.json")))


class FakeProvider:
    """The identity provider's JWKS endpoint, counted; ``down`` makes it fail."""

    def __init__(self, keys: dict[str, Key]) -> None:
        self.keys = dict(keys)
        self.fetches = 0
        self.down = False

    def __call__(self, url: str) -> bytes:
        self.fetches += 1
        if self.down:
            raise OSError("connection refused")
        return json.dumps({"keys": [k.as_dict(private=False) for k in self.keys.values()]}
                          ).encode()


def test_an_https_key_set_is_cached_and_fetched_again_when_the_provider_rotates_keys(
        keys: dict[str, Key]) -> None:
    now = [1000.0]
    provider = FakeProvider({"RS256": keys["RS256"]})
    source = UrlKeySet("https://idp.kaznu.kz/certs", clock=lambda: now[0], fetch=provider)
    assert set(source.keys()) == {"rsa-1"} and provider.fetches == 1
    assert set(source.keys()) == {"rsa-1"} and provider.fetches == 1  # cached
    provider.keys["ES256"] = keys["ES256"]  # rotation: a new key appears
    source.keys(refresh=True)
    assert provider.fetches == 1  # asked again within 30 s: not fetched again
    now[0] += 31
    assert "ec-1" in source.keys(refresh=True) and provider.fetches == 2
    provider.down = True
    now[0] += 601
    assert "ec-1" in source.keys()  # the provider is down: the set we had stays in use
    assert provider.fetches == 3

    fresh = UrlKeySet("https://idp.kaznu.kz/certs", clock=lambda: now[0], fetch=provider)
    with pytest.raises(Unauthenticated, match="could not be fetched"):
        fresh.keys()


def test_a_rotated_key_set_file_is_read_again(
        oidc_settings: Settings, keys: dict[str, Key], clock: FixedClock) -> None:
    path = Path(str(oidc_settings.oidc_jwks))
    jwks_file(path, {"RS256": keys["RS256"]})
    container = build(oidc_settings, clock, poll_interval=0.05)
    try:
        service = container.service
        assert service.authenticate(mint(keys)).role is Role.INET
        with pytest.raises(Unauthenticated, match="not in the identity provider's key set"):
            service.authenticate(mint(keys, "EdDSA"))
        jwks_file(path, keys)
        os.utime(path, (time.time() + 5, time.time() + 5))
        assert service.authenticate(mint(keys, "EdDSA")).role is Role.INET
    finally:
        container.close()

