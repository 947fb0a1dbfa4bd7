"""Every feature's commands, as the API, the CLI and the tests call them.

``RegistryService.run(ctx, fn)`` hands this object to ``fn``:
``service.run(ctx, lambda cmd: cmd.certificates.issue(enrollment_id=…))``. Each feature is its own
class, given the application (the event store) and the other features it calls in its
constructor; ``registry/bootstrap.py`` builds them (:func:`registry.bootstrap.commands`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .certificates import CertificateCommands
from .enrollments import EnrollmentCommands
from .keys import KeyCommands
from .learners import LearnerCommands
from .materials import MaterialCommands
from .moocs import MoocCommands
from .platforms import PlatformCommands
from .programmes import ProgrammeCommands
from .tokens import TokenCommands


@dataclass(frozen=True)
class Commands:
    platforms: PlatformCommands
    moocs: MoocCommands
    learners: LearnerCommands
    enrollments: EnrollmentCommands
    certificates: CertificateCommands
    keys: KeyCommands
    tokens: TokenCommands
    programmes: ProgrammeCommands
    materials: MaterialCommands
