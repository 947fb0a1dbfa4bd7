"""Issue 14, capability 3: configuration that explains itself.

A bad setting is one line on stderr naming the variable, the value and what is expected, and
exit 2, for every command; a command run where no registry lives refuses to make one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from registry.bootstrap import build
from registry.cli import main
from registry.config import ConfigError, Settings

REGISTRY_VARIABLES = [name for name in os.environ if name.startswith("REGISTRY_")]


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No REGISTRY_* from the caller; the working folder empty."""
    for name in REGISTRY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def registry_dir(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A founded SQLite registry in ./reg, named by REGISTRY_DATA_DIR."""
    data = clean_env / "reg"
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(data))
    monkeypatch.setenv("REGISTRY_PUBLIC_URL", "https://registry.example.kz")
    build(Settings.from_env()).close()
    return data


BAD_SETTINGS = [
    ("REGISTRY_DATABASE_URL", "mysql://root@db/registry", "postgresql://"),
    ("REGISTRY_GRADE_WEIGHTS", "50,60", "add up to 100"),
    ("REGISTRY_GRADE_WEIGHTS", "sixty", "add up to 100"),
    ("REGISTRY_TIMEZONE", "Mars/Olympus", "IANA time zone"),
    ("REGISTRY_PUBLIC_URL", "host", "http:// or https://"),
    ("REGISTRY_PUBLIC_URL", "ftp://registry.example.kz", "http:// or https://"),
    ("REGISTRY_CHECKPOINT_EVERY", "ten", "positive whole number"),
    ("REGISTRY_CHECKPOINT_SECONDS", "-1", "seconds"),
    ("REGISTRY_LOG_FORMAT", "xml", "text or json"),
    ("REGISTRY_RATE_LIMIT_VERIFY", "lots", "60/minute"),
]


@pytest.mark.parametrize(("variable", "value", "expected"), BAD_SETTINGS)
@pytest.mark.parametrize("command", [["token", "list"], ["keys", "list"], ["audit", "vkey"],
                                     ["projections", "status"]])
def test_a_bad_setting_is_one_line_and_exit_2(
        registry_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: list[str], variable: str, value: str, expected: str) -> None:
    monkeypatch.setenv(variable, value)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert variable in err and value.split("@")[0].split("://")[0] in err and expected in err


def test_settings_refuse_what_the_issue_found() -> None:
    with pytest.raises(ConfigError, match="REGISTRY_PUBLIC_URL: 'host'"):
        Settings.from_env({"REGISTRY_PUBLIC_URL": "host"})
    with pytest.raises(ConfigError, match="REGISTRY_TIMEZONE: 'Mars/Olympus'"):
        Settings.from_env({"REGISTRY_TIMEZONE": "Mars/Olympus"})
    assert Settings.from_env({"REGISTRY_PUBLIC_URL": "https://r.kaznu.kz/"}).public_url == (
        "https://r.kaznu.kz")


def test_an_unreachable_postgresql_is_one_line_without_the_password(
        registry_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REGISTRY_DATABASE_URL", "postgresql://registry:s3cret@127.0.0.1:1/reg")
    assert main(["token", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("REGISTRY_DATABASE_URL: 'postgresql://registry:***@127.0.0.1:1/reg'")
    assert "s3cret" not in err and err.count("\n") == 1


@pytest.mark.parametrize("data_dir", ["a-file", "/proc/no-such/var"])
def test_an_unwritable_data_folder_stops_serve_in_one_line(
        clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        data_dir: str) -> None:
    (clean_env / "a-file").write_text("not a folder")
    monkeypatch.setenv("REGISTRY_DATA_DIR", data_dir)
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"REGISTRY_DATA_DIR: '{data_dir}': a folder this user can create")
    assert err.count("\n") == 1


@pytest.mark.parametrize("command", [
    ["token", "create", "--role", "admin", "--name", "Айгүл"], ["token", "list"],
    ["keys", "list"], ["keys", "rotate"], ["audit", "vkey"], ["audit", "checkpoint"],
    ["projections", "status"]])
def test_a_command_run_where_no_registry_lives_makes_none(
        clean_env: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    assert main(command) == 2
    err = capsys.readouterr()
    assert err.err == ("registry: no registry in ./var — run from the folder where the "
                       "registry lives or set REGISTRY_DATA_DIR\n")
    assert err.out == ""
    assert not (clean_env / "var").exists()


def test_keys_generate_founds_and_the_other_commands_then_work(
        clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "generate"]) == 0
    assert main(["token", "create", "--role", "admin", "--name", "Operator"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1]


def test_the_first_start_says_once_what_it_fixed_for_good(
        clean_env: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(data_dir=clean_env / "var", public_url="https://registry.kaznu.kz")
    with caplog.at_level("WARNING", logger="registry"):
        build(settings).close()
        build(settings).close()
    said = [r.getMessage() for r in caplog.records if "fixed for good" in r.getMessage()]
    assert said == ["registry: founded a new registry (SQLite in "
                    f"{clean_env / 'var'}, keys in {clean_env / 'var'}/keys); fixed for "
                    "good: the audit log's name 'registry.kaznu.kz/log', from "
                    "REGISTRY_PUBLIC_URL=https://registry.kaznu.kz"]


def test_serve_refuses_a_public_url_the_log_was_not_named_for(
        registry_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REGISTRY_PUBLIC_URL", "https://new.example.kz")
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("REGISTRY_PUBLIC_URL: 'https://new.example.kz': this registry's "
                          "audit log is named 'registry.example.kz/log' for good")
    assert err.count("\n") == 1


def test_serve_refuses_several_workers_that_would_each_run_the_projections(
        registry_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "2", "--port", "1"]) == 2
    assert "REGISTRY_PROJECTIONS=external" in capsys.readouterr().err


def test_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(REGISTRY_TIMEZONE="Mars/Olympus", PYTHONPATH=os.getcwd())
    done = subprocess.run([sys.executable, "-m", "registry.cli", "token", "list"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == ("REGISTRY_TIMEZONE: 'Mars/Olympus': an IANA time zone, like "
                           "Asia/Almaty\n")


def test_registry_serve_runs_the_freezing_app_in_each_worker(
        monkeypatch: pytest.MonkeyPatch, registry_dir: Path) -> None:
    import uvicorn
    from uvicorn.importer import import_from_string

    from registry.web import app as web_app

    ran: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: ran.append(
        {"app": app, **options}))
    built: list[bool] = []
    real = web_app.create_app
    monkeypatch.setattr(web_app, "create_app", lambda *a, **k: built.append(
        k.get("freeze_heap", False)) or real(*a, **k))
    assert main(["serve", "--port", "1"]) == 0
    assert built == [True] and ran[0]["factory"] is False
    monkeypatch.setenv("REGISTRY_PROJECTIONS", "external")
    # what serve sets for its workers, given back after the test (the metrics of the tests
    # after it would otherwise be read from a multiprocess directory)
    for name, value in (("REGISTRY_PUBLIC_URL", os.environ["REGISTRY_PUBLIC_URL"]),
                        ("PROMETHEUS_MULTIPROC_DIR", str(registry_dir / "metrics"))):
        monkeypatch.setenv(name, value)
    assert main(["serve", "--port", "1", "--workers", "2"]) == 0
    assert ran[1]["factory"] is True
    # the factory each worker imports and calls builds the freezing app too
    factory = import_from_string(ran[1]["app"])
    assert factory is web_app.serving_app
    factory()
    assert built == [True, True]
