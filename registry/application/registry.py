"""The registry application: every feature's commands over one event store."""

from __future__ import annotations

from .certificates import CertificateCommands
from .keys import KeyCommands
from .programmes import ProgrammeCommands
from .tokens import TokenCommands


class Registry(CertificateCommands, TokenCommands, KeyCommands, ProgrammeCommands):
    name = "Registry"
