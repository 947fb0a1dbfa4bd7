"""The composition root: settings → storage → application → views → services.

The only module that knows which concrete classes make up a running registry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from . import oidc, preflight
from .application.certificates import CertificateCommands, CertificateSigner, Signed
from .application.commands import Commands
from .application.context import SYSTEM
from .application.documents import DocumentStore
from .application.enrollments import EnrollmentCommands
from .application.keys import KeyCommands
from .application.learners import LearnerCommands
from .application.live import LiveHub
from .application.materials import MaterialCommands
from .application.moocs import MoocCommands
from .application.personal import KeyEncryptionKey
from .application.platforms import PlatformCommands
from .application.programmes import ProgrammeCommands
from .application.registry import Registry
from .application.sealing import seal_plaintext_rows, tombstone_past_erasures
from .application.service import RegistryService
from .application.timeline import Timeline
from .application.tokens import OidcSignIn, TokenCommands
from .application.witnesses import configured_witnesses, trusted_logs
from .audit.log import Checkpointer, LogProjection, TransparencyLog
from .audit.note import load_or_create_signer, previous_verifiers
from .audit.view import AuditLogView
from .audit.witness import WitnessService, load_or_create_witness_signer
from .audit.witnessing import Witnessing
from .clock import Clock
from .config import Settings
from .domain.certificates import CertificateFacts
from .domain.verdicts import Unverifiable, token_reason
from .files import read_or_create_secret
from .projections.catalog import projections
from .projections.engine import (
    Consistency,
    EventSource,
    PositionBoard,
    PositionWatcher,
    ProjectionDaemon,
)
from .projections.runner import CatchUpRunner
from .projections.store import ProjectionStore
from .signing import (
    CertificateClaims,
    InvalidToken,
    KeyStore,
    KeyStoreError,
    SigningKey,
    sign_certificate,
    verify_token,
)
from .signing.credentials import Issuer, credential_text, open_badge
from .storage.backend import SQLITE_FILE as SQLITE_FILE  # the tests' way to the file
from .storage.backend import Backend, PostgresBackend, backend_for
from .storage.witness_sql import witness_store

log = logging.getLogger(__name__)

PERSONAL_KEK_FILE = "personal.kek"
PRIVATE_FILE = 0o600


def personal_kek(settings: Settings) -> KeyEncryptionKey:
    """``REGISTRY_PERSONAL_KEK`` (base64, or a file), else ``keys/personal.kek`` in the data
    directory, created on first start (atomically, 0600)."""
    if settings.personal_kek:
        return KeyEncryptionKey.parse(settings.personal_kek)
    kek_file = settings.data_dir / "keys" / PERSONAL_KEK_FILE
    return KeyEncryptionKey(read_or_create_secret(kek_file))


def datastore(app: Any) -> Any:
    """The eventsourcing datastore (connection pool) the application's recorders use."""
    return app.factory.datastore


def postgres_env(url: str) -> dict[str, str]:
    """``postgresql://user:password@host:port/db?schema=s`` → eventsourcing's settings."""
    return PostgresBackend(url).persistence_env()


def _audit(settings: Settings, clock: Clock, app: Registry, backend: Backend, keys_dir: Any,
           poll_interval: float) -> tuple[TransparencyLog, CatchUpRunner, Checkpointer]:
    """The transparency log (SPEC §6): its view, its own key, its runner, its checkpointer."""
    view: AuditLogView = backend.audit_view_class()(datastore(app))
    view.create_table()
    signer = load_or_create_signer(keys_dir, f"{settings.public_authority}/log")
    audit = TransparencyLog(app, view, signer, now=clock.now,
                            previous=previous_verifiers(keys_dir))
    checkpointer = Checkpointer(audit, every=settings.checkpoint_every,
                                seconds=settings.checkpoint_seconds)
    runner = CatchUpRunner(app, LogProjection(app, view, on_append=checkpointer.prompt),
                           poll_interval=poll_interval, batch_size=1000,
                           tracking_name=f"{app.name}.audit-log")
    return audit, runner, checkpointer


def _witnessing(settings: Settings, app: Registry, audit: TransparencyLog, keys_dir: Any
                ) -> tuple[Witnessing, WitnessService]:
    """Witnesses (SPEC §13): the log's submitter, and the registry's own witness."""
    store = witness_store(audit.view)
    store.create_table()
    witnessing = Witnessing(audit, store, lambda: configured_witnesses(app),
                            quorum=settings.witness_quorum,
                            timeout=settings.witness_timeout_seconds,
                            poll=min(1.0, settings.checkpoint_seconds))
    signer = load_or_create_witness_signer(keys_dir, f"{settings.public_authority}/witness")
    return witnessing, WitnessService(signer, store, lambda: trusted_logs(app))


def views(app: Registry, backend: Backend, settings: Settings, *, poll_interval: float = 1.0,
          run_projections: bool | None = None) -> tuple[ProjectionStore, PositionBoard,
                                                        ProjectionDaemon | None,
                                                        PositionWatcher | None]:
    """The read side: the projections' store, the board writes wait on, and either the
    engine (embedded) or a watcher of the engine another process runs (external)."""
    write_engine, read_engine = backend.view_engines()
    catalog = projections()
    store = ProjectionStore(write_engine, backend.view_dialect(), catalog,
                            schema=backend.schema, read_engine=read_engine)
    board = PositionBoard()
    embedded = settings.projections == "embedded" if run_projections is None else run_projections
    if embedded:
        daemon = ProjectionDaemon(EventSource(app), store, catalog, board=board,
                                  poll_interval=poll_interval, wake=backend.wake(app))
        return store, board, daemon, None
    store.create()
    return store, board, None, PositionWatcher(store, board, [p.name for p in catalog])


def issuer_of(settings: Settings) -> Issuer:
    """The university as the issuer of the registry's open credentials (SPEC §11)."""
    return Issuer(settings.public_url, settings.university_name, settings.timezone)


def _signer(key_ring: KeyCommands, keys: KeyStore, settings: Settings) -> CertificateSigner:
    """Signs a certificate's token and credential with the key the key ring says is active
    today: once, at issuance; both are kept in the event (SPEC §5, §11)."""
    issuer = issuer_of(settings)

    def sign(facts: CertificateFacts) -> Signed:
        active = key_ring.ring().active
        if active is None:
            raise KeyStoreError("no active certificate-signing key: run 'registry keys rotate'")
        key = keys.get(active.kid)
        claims = CertificateClaims(number=facts.number, full_name=facts.full_name,
                                   course_title=facts.course_title, credits=facts.credits,
                                   issued_on=facts.issued_on)
        token = sign_certificate(key, claims)
        credential = open_badge(issuer, facts, settings.verification_url(token), key)
        return Signed(token=token, kid=key.kid, credential=credential_text(credential))

    return sign


def _commands(app: Registry, keys: KeyStore, documents: DocumentStore,
              sign_in: OidcSignIn | None, settings: Settings) -> Commands:
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
                                         moocs=moocs, sign=_signer(key_ring, keys, settings)),
        keys=key_ring,
        tokens=TokenCommands(app, learners=learners, oidc=sign_in,
                             lifetime_days=settings.token_lifetime_days),
        programmes=ProgrammeCommands(app, documents=documents),
        materials=MaterialCommands(app),
    )


@dataclass
class Container:
    settings: Settings
    clock: Clock
    backend: Backend
    app: Registry
    commands: Commands
    documents: DocumentStore
    views: ProjectionStore
    board: PositionBoard
    daemon: ProjectionDaemon | None  # None: another process runs the projections
    watcher: PositionWatcher | None
    keys: KeyStore
    service: RegistryService
    audit: TransparencyLog
    audit_runner: CatchUpRunner
    checkpointer: Checkpointer
    live: LiveHub  # subscriptions' reader of new events; its threads start with a subscriber
    witnessing: Witnessing  # submits checkpoints to the log's witnesses
    witness: WitnessService  # the registry as a witness of other logs

    def projection_problem(self) -> str | None:
        """Why the views are not keeping up (``/healthz``), or ``None``."""
        if self.daemon is not None:
            return self.daemon.problem
        assert self.watcher is not None
        stopped = self.board.progress.stopped
        if stopped:
            return f"stopped on an error: {', '.join(sorted(stopped))}"
        return self.watcher.problem

    def wait_for_views(self, position: int | None = None, timeout: float = 10.0) -> Consistency:
        """Wait until every view has processed ``position`` (default: the newest event)."""
        if self.daemon is not None:
            self.daemon.prompt()
        wanted = self.app.last_notification_id() if position is None else position
        return self.board.wait(wanted, timeout)

    def close(self) -> None:
        self.live.stop()
        self.witnessing.stop()
        self.checkpointer.stop()
        self.audit_runner.stop()
        if self.daemon is not None:
            self.daemon.stop()
        if self.watcher is not None:
            self.watcher.stop()
        self.views.engine.dispose()
        self.views.read_engine.dispose()
        self.app.close()


def build(
    settings: Settings,
    clock: Clock | None = None,
    *,
    poll_interval: float = 1.0,
    seed: bool = True,
    run_projections: bool | None = None,
) -> Container:
    """Assemble a registry and start it (projections as ``settings.projections`` says, unless
    ``run_projections`` overrides it); call ``close()`` when done."""
    clock = clock or Clock(settings.tz)
    founding = preflight.may_found(settings)  # refused where only an existing one may open
    preflight.private_data_dir(settings)
    sign_in = oidc.from_settings(settings, clock.now)  # a bad OIDC key set stops here
    backend = backend_for(settings.database_url, settings.data_dir)
    with preflight.storage_started(backend, settings):  # one process at a time
        container, first_key = _assemble(settings, clock, backend, sign_in,
                                         poll_interval=poll_interval,
                                         run_projections=run_projections)
    # Outside the start-up lock: the seed waits for the views, which another process may
    # be about to start (REGISTRY_PROJECTIONS=external).
    for background in (container.daemon, container.watcher):
        if background is not None:
            background.start()
    container.audit_runner.start()
    container.checkpointer.start()
    container.witnessing.start()
    if seed:
        container.service.seed()
        container.service.run(SYSTEM, lambda cmd: cmd.keys.ensure_recorded(
            first_key.kid, first_key.public_jwk))
    if founding:
        log.warning("%s", founded_line(settings, container.audit.origin))
    return container


def _assemble(settings: Settings, clock: Clock, backend: Backend, sign_in: Any, *,
              poll_interval: float, run_projections: bool | None
              ) -> tuple[Container, SigningKey]:
    """``build``'s work while it alone starts on the store: tables made if missing, the
    container wired (nothing started yet); and the first signing key, made if missing."""
    secrets_dir = settings.data_dir / "keys"
    kek = personal_kek(settings)
    app = Registry(
        backend.persistence_env(),
        personal_store_factory=lambda app: backend.personal_store(datastore(app), kek),
        now=clock.now,
        today=clock.today,
        iin_key=read_or_create_secret(secrets_dir / "iin-index.key"),
        grade_weights=settings.grade_weights,
    )
    seal_plaintext_rows(app)
    tombstone_past_erasures(app)
    recorder: Any = app.recorder  # both back-ends' recorders name their events table
    events_table: str = recorder.events_table_name
    positions = backend.event_positions(datastore(app), events_table)
    app.read_together = positions.stored_events  # batch commands load together
    app.read_versions = positions.versions  # the token cache confirms its entries together
    documents: DocumentStore = backend.document_store(datastore(app))
    documents.create_table()
    store, board, daemon, watcher = views(app, backend, settings, poll_interval=poll_interval,
                                          run_projections=run_projections)
    keys = KeyStore(secrets_dir, password=settings.key_passphrase)
    first_key = keys.ensure_key()
    commands = _commands(app, keys, documents, sign_in, settings)

    def check_signature(token: str, jwks: dict[str, Any]) -> tuple[str, str, date, str]:
        try:
            claims, kid = verify_token(token, jwks)
        except InvalidToken as invalid:
            raise Unverifiable(token_reason(invalid.kind, str(invalid))) from None
        return claims.number, kid, claims.issued_on, claims.full_name

    timeline = Timeline(app, list(store.projections.values()), positions)
    live = LiveHub(EventSource(app), timeline, wake=backend.wake(app),
                   poll_interval=min(poll_interval, 0.5))

    def prompt() -> None:  # a write was stored: the views and the subscribers look now
        if daemon is not None:
            daemon.prompt()
        live.prompt()

    service = RegistryService(app, commands, store, board, check_signature=check_signature,
                              prompt=prompt, wait_seconds=settings.view_wait_seconds,
                              timeline=timeline)
    audit, audit_runner, checkpointer = _audit(settings, clock, app, backend, secrets_dir,
                                               poll_interval)
    witnessing, witness = _witnessing(settings, app, audit, secrets_dir)
    container = Container(settings, clock, backend, app, commands, documents, store, board,
                          daemon, watcher, keys, service, audit, audit_runner, checkpointer,
                          live, witnessing, witness)
    return container, first_key


def founded_line(settings: Settings, log_name: str) -> str:
    """The one line a first start says: what it fixed for good."""
    where = preflight.shown_dir(settings.data_dir)
    store = "PostgreSQL" if settings.database_url else f"SQLite in {where}"
    return (f"registry: founded a new registry ({store}, keys in {where}/keys); fixed for good: "
            f"the audit log's name {log_name!r}, from REGISTRY_PUBLIC_URL={settings.public_url}")
