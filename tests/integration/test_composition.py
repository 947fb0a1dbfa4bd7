"""The application's features compose: each is its own class, given what it calls."""

from __future__ import annotations

import dataclasses
import typing

from support import enrolled, examined, issued, published_mooc, scored

from registry.application.certificates import CertificateCommands, Signed
from registry.application.commands import Commands
from registry.application.service import RegistryService
from registry.bootstrap import build
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.certificates import CertificateFacts


def test_no_feature_inherits_another() -> None:
    for name, cls in typing.get_type_hints(Commands).items():
        assert cls.__mro__ == (cls, object), f"{name}: {cls.__mro__}"


def test_every_feature_works_on_the_one_application(sqlite_settings: Settings,
                                                     clock: FixedClock) -> None:
    container = build(sqlite_settings, clock, poll_interval=0.05)
    try:
        for field in dataclasses.fields(Commands):
            assert getattr(container.commands, field.name).app is container.app, field.name
    finally:
        container.close()


def test_certificates_are_signed_by_the_signer_they_were_given(sqlite_settings: Settings,
                                                               clock: FixedClock) -> None:
    container = build(sqlite_settings, clock, poll_interval=0.05)
    try:
        service = container.service
        enrollment = examined(service, scored(service, enrolled(service,
                                                                published_mooc(service)["code"])))
        signed: list[CertificateFacts] = []

        def sign(facts: CertificateFacts) -> Signed:
            signed.append(facts)
            return Signed("a.signed.token", "kid-under-test", "{}")

        c = container.commands
        commands = dataclasses.replace(c, certificates=CertificateCommands(
            container.app, enrollments=c.enrollments, learners=c.learners, moocs=c.moocs,
            sign=sign))
        other = RegistryService(container.app, commands, container.views, container.board,
                                check_signature=lambda token, jwks: ("", "", clock.today(), ""),
                                prompt=container.daemon.prompt if container.daemon else None)
        certificate = issued(other, enrollment)
        assert [s.number for s in signed] == [certificate["number"]]
        assert certificate["kid"] == "kid-under-test"
    finally:
        container.close()
