"""A registry full of personal data, and ways to look at its storage raw (both back-ends).

Used by ``test_personal_at_rest.py`` and ``test_erasure.py``."""

from __future__ import annotations

import json
import sqlite3
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support import cli_env as cli_env  # the security tests import it from here
from support import examined, published_mooc, record_score, scored

from registry.application.context import CommandContext
from registry.application.service import RegistryService
from registry.bootstrap import SQLITE_FILE, Container, postgres_env
from registry.config import Settings

sys.path.insert(0, str(Path(__file__).parents[1] / "api"))  # apiclient, operations

ADMIN = CommandContext(actor_name="Test Admin", actor_role="admin")

# Learner A is erased in the tests; learner B is kept (the erasure must be targeted).
A_NAME = "Әлия Ғабитқызы Құрманова"
A_LATIN = "Aliya Kurmanova"
A_IIN = "900101300007"
A_EMAIL = "aliya.kurmanova@example.kz"
A_SCORE_REASON = "Құрманова Әлия brought a medical note"
A_REVOCATION = "Issued to Құрманова Әлия by mistake"
A_ON_BEHALF_OF = "Сәуле Нұрланқызы (dean of Philology)"
B_NAME = "Daniyar Seitkali"
B_CORRECTED = "Daniyar Seitkaliyev"
B_EMAIL = "daniyar.seitkali@example.kz"
B_CORRECTION = "Passport spelling of Daniyar Seitkali"
PLATFORM_ON_BEHALF_OF = "Комиссия: Ержан Әбілқайыр"


@dataclass
class World:
    learner_a: str
    learner_b: str
    enrollment_a: str
    revoked_a: dict[str, Any]
    active_a: dict[str, Any]
    active_b: dict[str, Any]
    tokens: list[str] = field(default_factory=list)

    @property
    def secrets_of_a(self) -> list[str]:
        return [A_NAME, A_LATIN, A_IIN, A_EMAIL, A_SCORE_REASON, A_REVOCATION, A_ON_BEHALF_OF,
                self.revoked_a["token"], self.active_a["token"]]

    @property
    def secrets_of_b(self) -> list[str]:
        return [B_NAME, B_CORRECTED, B_EMAIL, B_CORRECTION, self.active_b["token"]]

    @property
    def secrets(self) -> list[str]:
        return [*self.secrets_of_a, *self.secrets_of_b, PLATFORM_ON_BEHALF_OF]


def register(service: RegistryService, name: str, *, latin: str | None, iin: str | None,
             email: str) -> str:
    learner_id: str = service.run(ADMIN, lambda cmd: cmd.learners.register(
        full_name=name, email=email, iin=iin, full_name_latin=latin))
    return learner_id


def enroll(service: RegistryService, learner_id: str, code: str) -> dict[str, Any]:
    key = service.run(ADMIN, lambda cmd: cmd.enrollments.enroll(learner_id=uuid.UUID(learner_id),
                                                                mooc_code=code))
    return service.doc("enrollments", key)


def issue(service: RegistryService, enrollment_id: str) -> dict[str, Any]:
    number = service.run(ADMIN, lambda cmd: cmd.certificates.issue(
        enrollment_id=uuid.UUID(enrollment_id)))
    return service.doc("certificates", number)


def populate(service: RegistryService) -> World:
    """Two learners with names in Kazakh and Latin, an IIN, e-mails; a score correction, a
    revocation and a name correction whose reasons name them; X-On-Behalf-Of texts on a
    learner's event and on an event about nobody; certificates for both."""
    code = published_mooc(service)["code"]
    a = register(service, A_NAME, latin=A_LATIN, iin=A_IIN, email=A_EMAIL)
    b = register(service, B_NAME, latin=None, iin=None, email=B_EMAIL)
    dean = CommandContext(actor_name="Dean tester", actor_role="dean",
                          on_behalf_of=A_ON_BEHALF_OF)
    service.run(dean, lambda cmd: cmd.learners.verify_identity(learner_id=uuid.UUID(a),
                                                               method="IN_PERSON"))
    committee = CommandContext(actor_name="INET tester", actor_role="inet",
                               on_behalf_of=PLATFORM_ON_BEHALF_OF)
    service.run(committee, lambda cmd: cmd.platforms.set_online_proctoring(available=True,
                                                                           system="Examus"))
    enrollment_a = scored(service, enroll(service, a, code))
    record_score(service, enrollment_a["id"], "RATING_2", 75, reason=A_SCORE_REASON)
    enrollment_a = examined(service, enrollment_a)
    revoked = issue(service, enrollment_a["id"])
    service.run(ADMIN, lambda cmd: cmd.certificates.revoke(number=revoked["number"],
                                                           reason=A_REVOCATION))
    active_a = issue(service, enrollment_a["id"])
    enrollment_b = examined(service, scored(service, enroll(service, b, code)))
    first_b = issue(service, enrollment_b["id"])
    number_b = service.run(ADMIN, lambda cmd: cmd.certificates.reissue(
        number=first_b["number"], full_name=B_CORRECTED, reason=B_CORRECTION))
    return World(learner_a=a, learner_b=b, enrollment_a=enrollment_a["id"],
                 revoked_a=service.doc("certificates", revoked["number"]),
                 active_a=active_a, active_b=service.doc("certificates", number_b))


def forms(text: str) -> list[bytes]:
    """The ways a string can sit in storage: UTF-8, JSON-escaped both ways, hex (bytea)."""
    raw = text.encode("utf-8")
    return [raw, json.dumps(text).encode("ascii")[1:-1],
            json.dumps(text, ensure_ascii=False).encode("utf-8")[1:-1], raw.hex().encode()]


def found_in(blob: bytes, texts: list[str]) -> list[str]:
    return [text for text in texts if any(form in blob for form in forms(text))]


# -- the storage, raw ------------------------------------------------------------------------

def sqlite_file_bytes(settings: Settings) -> bytes:
    """The database file and its WAL, byte for byte."""
    path = settings.data_dir / SQLITE_FILE
    parts = [path, path.with_name(f"{SQLITE_FILE}-wal")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


VIEW_PREFIX = "pv_"  # the projections' tables (registry/projections/tables.py)


def table_rows(settings: Settings, *, views: bool) -> bytes:
    """Every row of every table (the read-model ``pv_*`` tables only with ``views``), as
    bytes: text as UTF-8, blobs as they are (SQLite) or as PostgreSQL prints them."""
    if settings.database_url is None:
        connection = sqlite3.connect(settings.data_dir / SQLITE_FILE)
        try:
            names = [r[0] for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            out = []
            for name in names:
                if name.startswith(VIEW_PREFIX) and not views:
                    continue
                for row in connection.execute(f'SELECT * FROM "{name}"'):
                    for value in row:
                        out.append(value if isinstance(value, bytes) else str(value).encode())
            return b"\n".join(out)
        finally:
            connection.close()
    import psycopg

    env = postgres_env(settings.database_url)
    schema = env["POSTGRES_SCHEMA"]
    with psycopg.connect(dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"],
                         port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
                         password=env["POSTGRES_PASSWORD"] or None) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            [schema])]
        out = []
        for name in names:
            if name.startswith(VIEW_PREFIX) and not views:
                continue
            for (text,) in conn.execute(f'SELECT t::text FROM "{schema}"."{name}" t'):
                out.append(text.encode("utf-8"))
        return b"\n".join(out)


def personal_rows(container: Container, where: str = "", params: tuple[Any, ...] = ()
                  ) -> list[dict[str, Any]]:
    """Rows of ``personal_data`` (ref, salt, data, scheme, key_id), straight from the table."""
    store: Any = container.app.personal_store
    with store.datastore.transaction(commit=False) as c:
        c.execute(store.sql(f"SELECT ref, salt, data, scheme, key_id FROM "
                            f"{store.personal_table()} {where}"), list(params))
        return [{k: r[k] for k in ("ref", "salt", "data", "scheme", "key_id")}
                for r in c.fetchall()]


def execute(container: Container, statement: str, params: tuple[Any, ...] = ()) -> None:
    """``statement`` names the tables ``{data}``, ``{keys}`` and ``{subjects}``."""
    store: Any = container.app.personal_store
    statement = statement.format(data=store.personal_table(), keys=store.keys_table(),
                                 subjects=store.subjects_table())
    with store.datastore.transaction(commit=True) as c:
        c.execute(store.sql(statement), list(params))


def refs_by_topic(container: Container) -> list[tuple[str, str]]:
    """(event topic, personal_ref) of every stored event with a personal part."""
    found = []
    for n in container.app.recorder.select_notifications(start=1, limit=100_000):
        ref = json.loads(n.state).get("personal_ref")
        if ref:
            found.append((n.topic, ref))
    return found


def event_count(container: Container) -> int:
    return len(container.app.recorder.select_notifications(start=1, limit=1_000_000))
