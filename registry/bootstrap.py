"""The composition root: settings → storage → application → views → services.

The only module that knows which concrete classes make up a running registry.
"""

from __future__ import annotations

import getpass
import logging
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from . import oidc
from .application.certificates import CertificateCommands, CertificateSigner
from .application.commands import Commands
from .application.context import SYSTEM
from .application.documents import DocumentStore
from .application.enrollments import EnrollmentCommands
from .application.keys import KeyCommands
from .application.learners import LearnerCommands
from .application.materials import MaterialCommands
from .application.moocs import MoocCommands
from .application.personal import KeyEncryptionKey
from .application.platforms import PlatformCommands
from .application.programmes import ProgrammeCommands
from .application.registry import Registry
from .application.sealing import seal_plaintext_rows
from .application.service import RegistryService
from .application.tokens import OidcSignIn, TokenCommands
from .audit.log import Checkpointer, LogProjection, TransparencyLog
from .audit.note import load_or_create_signer
from .audit.view import AuditLogView
from .clock import Clock
from .config import Settings
from .files import read_or_create_secret
from .projections.projection import RegistryProjection
from .projections.runner import CatchUpRunner
from .projections.view import RegistryView
from .signing import (
    CertificateClaims,
    InvalidToken,
    KeyStore,
    KeyStoreError,
    sign_certificate,
    verify_token,
)

log = logging.getLogger(__name__)

SQLITE_FILE = "registry.sqlite3"
PERSONAL_KEK_FILE = "personal.kek"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_data_dir(data_dir: Path) -> None:
    """The data directory and its ``keys/`` folder readable by their owner only, whatever the
    umask (they hold the database, keys and the personal-data KEK)."""
    for directory in (data_dir, data_dir / "keys"):
        directory.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(directory, PRIVATE_DIR)


def private_sqlite_file(path: Path) -> None:
    """Create the SQLite file 0600 before SQLite opens it (SQLite gives its -wal and -shm
    files the database file's mode), and tighten the files of an older data directory."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE)
    os.close(fd)
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal"):
        try:
            os.chmod(path.with_name(name), PRIVATE_FILE)
        except FileNotFoundError:
            pass


def personal_kek(settings: Settings) -> KeyEncryptionKey:
    """``REGISTRY_PERSONAL_KEK`` (base64, or a file), else ``keys/personal.kek`` in the data
    directory, created on first start (atomically, 0600)."""
    if settings.personal_kek:
        return KeyEncryptionKey.parse(settings.personal_kek)
    kek_file = settings.data_dir / "keys" / PERSONAL_KEK_FILE
    return KeyEncryptionKey(read_or_create_secret(kek_file))


def postgres_env(url: str) -> dict[str, str]:
    """``postgresql://user:password@host:port/db?schema=s`` → eventsourcing's settings.

    User and password may be omitted (trust authentication): the OS user and an empty
    password are passed, since eventsourcing wants both set."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"REGISTRY_DATABASE_URL must be postgresql://…; got {parts.scheme}://")
    query = parse_qs(parts.query)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username) if parts.username else getpass.getuser(),
        "POSTGRES_PASSWORD": unquote(parts.password) if parts.password else "",
        "POSTGRES_SCHEMA": query.get("schema", ["public"])[0],
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_POOL_SIZE": "5",
    }


def persistence_env(settings: Settings) -> dict[str, str]:
    if settings.database_url:
        return postgres_env(settings.database_url)
    private_data_dir(settings.data_dir)
    private_sqlite_file(settings.data_dir / SQLITE_FILE)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(settings.data_dir / SQLITE_FILE),
        "SQLITE_LOCK_TIMEOUT": "10",
    }


def _ensure_postgres_schema(env: dict[str, str]) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None,
        connect_timeout=5, autocommit=True,
    ) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
            sql.Identifier(env["POSTGRES_SCHEMA"])))


def _personal_store(app: Any, kek: KeyEncryptionKey) -> Any:
    datastore = app.factory.datastore
    if app.env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
        from .storage.postgres import PostgresPersonalStore

        return PostgresPersonalStore(datastore, kek)
    from .storage.sqlite import SQLitePersonalStore

    return SQLitePersonalStore(datastore, kek)


def _document_store(app: Any) -> Any:
    """Programme documents live in the database on both back-ends (README: documents)."""
    if app.env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
        from .storage.documents import PostgresDocumentStore

        return PostgresDocumentStore(app.factory.datastore)
    from .storage.documents import SQLiteDocumentStore

    return SQLiteDocumentStore(app.factory.datastore)


def _view(app: Registry) -> RegistryView:
    if app.env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
        from .storage.postgres import PostgresRegistryView

        return cast(RegistryView, app.factory.tracking_recorder(PostgresRegistryView))
    from .storage.sqlite import SQLiteRegistryView

    return cast(RegistryView, app.factory.tracking_recorder(SQLiteRegistryView))


def _audit(settings: Settings, clock: Clock, app: Registry, keys_dir: Any,
           poll_interval: float) -> tuple[TransparencyLog, CatchUpRunner, Checkpointer]:
    """The transparency log (SPEC §6): its view, its own key, its runner, its checkpointer."""
    if app.env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
        from .storage.audit_postgres import PostgresAuditLogView as view_class
    else:
        from .storage.audit_sqlite import SQLiteAuditLogView as view_class  # type: ignore[assignment]
    view = cast(AuditLogView, app.factory.tracking_recorder(view_class))
    signer = load_or_create_signer(keys_dir, f"{settings.public_authority}/log")
    audit = TransparencyLog(app, view, signer, now=clock.now)
    checkpointer = Checkpointer(audit, every=settings.checkpoint_every,
                                seconds=settings.checkpoint_seconds)
    runner = CatchUpRunner(app, LogProjection(app, view, on_append=checkpointer.prompt),  # type: ignore[arg-type]
                           poll_interval=poll_interval, batch_size=1000,
                           tracking_name=f"{app.name}.audit-log", stored_batches=True)
    return audit, runner, checkpointer


def _signer(key_ring: KeyCommands, keys: KeyStore) -> CertificateSigner:
    """Signs a certificate with the key the key ring says is active today."""

    def sign(number: str, full_name: str, title: str, credits: int, issued_on: date
             ) -> tuple[str, str]:
        active = key_ring.ring().active
        if active is None:
            raise KeyStoreError("no active certificate-signing key: run 'registry keys rotate'")
        key = keys.get(active.kid)
        claims = CertificateClaims(number=number, full_name=full_name, course_title=title,
                                   credits=credits, issued_on=issued_on)
        return sign_certificate(key, claims), key.kid

    return sign


def _commands(app: Registry, keys: KeyStore, documents: DocumentStore,
              sign_in: OidcSignIn | None, token_lifetime_days: int) -> Commands:
    """Each feature's commands, given the application and the features it calls."""
    key_ring = KeyCommands(app)
    platforms = PlatformCommands(app)
    moocs = MoocCommands(app, platforms=platforms)
    learners = LearnerCommands(app)
    enrollments = EnrollmentCommands(app, learners=learners, moocs=moocs, platforms=platforms)
    return Commands(
        platforms=platforms,
        moocs=moocs,
        learners=learners,
        enrollments=enrollments,
        certificates=CertificateCommands(app, enrollments=enrollments, learners=learners,
                                         moocs=moocs, sign=_signer(key_ring, keys)),
        keys=key_ring,
        tokens=TokenCommands(app, learners=learners, oidc=sign_in,
                             lifetime_days=token_lifetime_days),
        programmes=ProgrammeCommands(app, documents=documents),
        materials=MaterialCommands(app),
    )


@dataclass
class Container:
    settings: Settings
    clock: Clock
    app: Registry
    commands: Commands
    documents: DocumentStore
    view: RegistryView
    runner: CatchUpRunner
    keys: KeyStore
    service: RegistryService
    audit: TransparencyLog
    audit_runner: CatchUpRunner
    checkpointer: Checkpointer

    def close(self) -> None:
        self.checkpointer.stop()
        self.audit_runner.stop()
        self.runner.stop()
        self.app.close()


def build(
    settings: Settings,
    clock: Clock | None = None,
    *,
    poll_interval: float = 1.0,
    seed: bool = True,
) -> Container:
    """Assemble a registry. The projection runner is started; call ``close()`` when done."""
    clock = clock or Clock(settings.tz)
    private_data_dir(settings.data_dir)
    sign_in = oidc.from_settings(settings, clock.now)  # a bad OIDC key set stops here
    env = persistence_env(settings)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        _ensure_postgres_schema(env)
    secrets_dir = settings.data_dir / "keys"
    kek = personal_kek(settings)
    app = Registry(
        env,
        personal_store_factory=lambda app: _personal_store(app, kek),
        now=clock.now,
        today=clock.today,
        iin_key=read_or_create_secret(secrets_dir / "iin-index.key"),
        grade_weights=settings.grade_weights,
    )
    seal_plaintext_rows(app)
    documents: DocumentStore = _document_store(app)
    documents.create_table()
    view = _view(app)
    runner = CatchUpRunner(app, RegistryProjection(app, view), poll_interval=poll_interval)
    keys = KeyStore(secrets_dir, password=settings.key_passphrase)
    first_key = keys.ensure_key()
    commands = _commands(app, keys, documents, sign_in, settings.token_lifetime_days)

    def check_signature(token: str, jwks: dict[str, Any]) -> tuple[str, str, date, str]:
        try:
            claims, kid = verify_token(token, jwks)
        except InvalidToken as invalid:
            raise ValueError(str(invalid)) from None
        return claims.number, kid, claims.issued_on, claims.full_name

    service = RegistryService(app, commands, view, runner, check_signature=check_signature)
    audit, audit_runner, checkpointer = _audit(settings, clock, app, secrets_dir, poll_interval)
    container = Container(settings, clock, app, commands, documents, view, runner, keys, service,
                          audit, audit_runner, checkpointer)
    runner.start()
    audit_runner.start()
    checkpointer.start()
    if seed:
        service.seed()
        service.run(SYSTEM, lambda cmd: cmd.keys.ensure_recorded(first_key.kid,
                                                                 first_key.public_jwk))
    return container
