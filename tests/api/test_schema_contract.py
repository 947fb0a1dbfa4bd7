"""The GraphQL contract in files: ``schema/schema.graphql`` is printed from the code, and it
keeps every name and type of the fixed contract (a copy of ``shared/contract`` in
``tests/contract/``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from registry.api.schema import sdl

ROOT = Path(__file__).resolve().parents[2]


def test_schema_file_is_what_the_code_prints() -> None:
    committed = (ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8")
    assert committed == sdl(), "run `registry schema > schema/schema.graphql` and commit it"


def test_schema_departs_from_the_fixed_contract_nowhere() -> None:
    checker = ROOT / "tests" / "contract" / "check_contract.py"
    result = subprocess.run(
        [sys.executable, str(checker), str(ROOT / "schema" / "schema.graphql")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DIFFERENT" not in result.stdout
    assert "0 different" in result.stdout
