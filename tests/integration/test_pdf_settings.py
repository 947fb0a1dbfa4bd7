"""The PDF's settings (issue 14, item 7): ``REGISTRY_EMBLEM`` and ``REGISTRY_SIGNATORY`` are
checked at start like every other setting — one line naming the variable, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_configuration import clean_env, registry_dir  # noqa: F401  (fixtures)

from registry.cli import main

EMBLEM_SVG = Path(__file__).resolve().parents[2] / "examples" / "emblem.svg"


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("REGISTRY_EMBLEM", "/no/such/emblem.png", "a readable PNG or SVG file"),
    ("REGISTRY_EMBLEM", str(Path(__file__)), "this one is neither"),
    ("REGISTRY_SIGNATORY", "Жансеит Туймебаев", "'Name|Position'"),
])
def test_a_bad_pdf_setting_is_one_line_and_exit_2(
        registry_dir: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        capsys: pytest.CaptureFixture[str], variable: str, value: str, expected: str) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["token", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{variable}: {value!r}: ") and expected in err
    assert err.count("\n") == 1, err


def test_a_file_that_only_looks_like_a_png_stops_serve_in_one_line(
        clean_env: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    fake = clean_env / "emblem.png"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(clean_env / "var"))
    monkeypatch.setenv("REGISTRY_EMBLEM", str(fake))
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"REGISTRY_EMBLEM: {str(fake)!r}: a PNG or SVG file that fpdf2 can "
                          "draw"), err
    assert err.count("\n") == 1


def test_good_pdf_settings_are_accepted(
        registry_dir: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REGISTRY_EMBLEM", str(EMBLEM_SVG))
    monkeypatch.setenv("REGISTRY_SIGNATORY", "Жансеит Туймебаев|Ректор · Ректор · Rector")
    assert main(["token", "list"]) == 0
