"""Browser fixtures: a live registry on 127.0.0.1 and Debian's Chromium driven by Selenium.

Debian's ``chromium`` and ``chromium-driver`` packages come in one version, so the driver
always matches the browser; Selenium is given both paths and therefore never runs Selenium
Manager (which would try to download a driver). No test tool downloads a browser (SPEC §7).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from support import live_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# SPEC §8: the flags Chromium needs on these machines.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=412,1100",  # a phone's width: the page is mobile first
)

ADMIN = ("tester", "admin")
KAZAKH_NAME = "Әлия Ғабитқызы Құрманова"
OTHER_NAME = "Нұрлан Серікұлы Әбенов"
REVOCATION_REASON = "Сертификат выдан ошибочно: экзамен пересдан 12.06.2025 (приказ № 45-ӨК)"


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    message = (
        f"{', '.join(missing)} not installed: "
        "apt-get install -y chromium chromium-driver (SPEC §7)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --------------------------------------------------------------------------------------------
# The live registry


@dataclass
class Issued:
    number: str
    token: str
    kid: str
    full_name: str
    course_title: str


class Recorder:
    """ASGI wrapper around the real app: records every request line the server sees, and can
    stage a registry that is down (503) or one that publishes a key set not matching its
    verdicts (to show the page trusts neither side blindly)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[str, str, str]] = []
        self.jwks_override: dict[str, Any] | None = None
        # token or number → the /api/verify answer to give instead (None: answer 503)
        self.staged: dict[str, dict[str, Any] | None] = {}

    def reset(self) -> None:
        self.jwks_override = None
        self.staged.clear()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        self.requests.append((scope["method"], path, scope["query_string"].decode("latin-1")))
        if path == "/.well-known/jwks.json" and self.jwks_override is not None:
            await self._json(send, self.jwks_override)
            return
        if path == "/api/verify" and self.staged:
            body = b""
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            asked = json.loads(body)
            key = asked.get("token") or asked.get("number")
            if key in self.staged:
                staged = self.staged[key]
                if staged is None:  # the registry is down
                    await self._json(send, {"error": "unavailable"}, status=503)
                else:
                    await self._json(send, staged)
                return
            replayed = False

            async def replay() -> Any:
                nonlocal replayed
                if replayed:
                    return await receive()  # waits for the real disconnect
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def _json(send: Any, value: Any, status: int = 200) -> None:
        payload = json.dumps(value).encode("utf-8")
        await send({
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"),
                        (b"content-length", str(len(payload)).encode())],
        })
        await send({"type": "http.response.body", "body": payload})


@dataclass
class LiveRegistry:
    base_url: str
    service: Any
    recorder: Recorder
    valid: Issued
    revoked: Issued
    superseded: Issued
    replacement: Issued
    forged_token: str
    forged_name: str
    jwks: dict[str, Any]
    revocation_reason: str

    def url(self, fragment: str | None = None) -> str:
        return f"{self.base_url}/v" + (f"#{fragment}" if fragment is not None else "")


def _issue(service: Any, ctx: Any, *, full_name: str, mooc_code: str) -> Issued:
    from registry.domain.enrollments import ExamMode
    from registry.domain.grading import ScoreComponent

    learner_id = UUID(service.run(ctx, lambda cmd: cmd.learners.register(
        full_name=full_name, email=None, iin=None, full_name_latin=None)))
    enrollment_id = UUID(service.run(ctx, lambda cmd: cmd.enrollments.enroll(
        learner_id=learner_id, mooc_code=mooc_code)))
    for component in ScoreComponent:
        service.run(ctx, lambda cmd, component=component: cmd.enrollments.record_score(
            enrollment_id=enrollment_id, component=component, points=88, reason=None))
    service.run(ctx, lambda cmd: cmd.enrollments.record_final_exam(
        enrollment_id=enrollment_id, points=91, mode=ExamMode.ON_CAMPUS))
    number = service.run(ctx, lambda cmd: cmd.certificates.issue(
        enrollment_id=enrollment_id))
    return _issued(service, number)


def _issued(service: Any, number: str) -> Issued:
    cert = service.doc("certificates", number)
    return Issued(cert["number"], cert["token"], cert["kid"], cert["fullName"],
                  cert["courseTitle"])


def _reissue(service: Any, ctx: Any, old: Issued, *, full_name: str, reason: str) -> Issued:
    """A correction: the new certificate supersedes ``old``."""
    number = service.run(ctx, lambda cmd: cmd.certificates.reissue(
        number=old.number, full_name=full_name, reason=reason))
    return _issued(service, number)


def _publish_mooc(service: Any, ctx: Any, code: str) -> None:
    from registry.domain.moocs import LocalizedText

    title = LocalizedText(kk="Қазақ әдебиетінің тарихы", ru="История казахской литературы",
                          en="History of Kazakh literature")
    service.run(ctx, lambda cmd: cmd.moocs.draft(
        code=code, title=title, language="kk", credits=5, hours=150, department=None))
    service.run(ctx, lambda cmd: cmd.moocs.submit_for_review(code))
    service.run(ctx, lambda cmd: cmd.moocs.record_expert_review(
        code=code, passed=True, reviewer="Expert", remarks=None))
    service.run(ctx, lambda cmd: cmd.moocs.record_approbation(code=code, passed=True, remarks=None))
    service.run(ctx, lambda cmd: cmd.moocs.publish(code=code, platform_code="moocs.kz"))


def _forge(token: str, name: str) -> str:
    """The same signature over a payload whose name was replaced."""
    header, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["f"] = name
    forged = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return f"{header}.{b64url(forged)}.{signature}"


@pytest.fixture(scope="module")
def live_registry() -> Iterator[LiveRegistry]:
    _require_browser()
    from registry.application.context import CommandContext
    from registry.clock import FixedClock
    from registry.config import Settings
    from registry.web.app import create_app

    data_dir = Path(tempfile.mkdtemp(prefix="registry-e2e-"))
    port = _free_port()
    settings = Settings(data_dir=data_dir, public_url=f"http://127.0.0.1:{port}")
    issued_at = datetime(2025, 6, 14, 6, 0, tzinfo=UTC)  # 11:00 in Almaty, far from midnight
    clock = FixedClock(ZoneInfo(settings.timezone), issued_at)
    app = create_app(settings, clock=clock, poll_interval=0.05)
    recorder = Recorder(app)
    serving = contextlib.ExitStack()
    serving.enter_context(live_server(recorder, port, "registry-e2e"))
    try:
        service = app.state.container.service
        ctx = CommandContext(*ADMIN)
        _publish_mooc(service, ctx, "KAZLIT-101")
        valid = _issue(service, ctx, full_name=KAZAKH_NAME, mooc_code="KAZLIT-101")
        revoked = _issue(service, ctx, full_name=OTHER_NAME, mooc_code="KAZLIT-101")
        service.run(ctx, lambda cmd: cmd.certificates.revoke(
            number=revoked.number, reason=REVOCATION_REASON))
        superseded = _issue(service, ctx, full_name="Ержан Болатович Сейтов",
                            mooc_code="KAZLIT-101")
        replacement = _reissue(service, ctx, superseded, full_name="Ержан Болатұлы Сейітов",
                               reason="Аты-жөні куәлік бойынша түзетілді")
        forged_name = "Иван Поддельный Фальшивкин"
        jwks = service.jwks()
        container = app.state.container
        container.audit_runner.wait(container.app.last_notification_id())
        container.audit.sign()  # so the page can link to the issuance's inclusion proof
        yield LiveRegistry(
            base_url=f"http://127.0.0.1:{port}", service=service, recorder=recorder,
            valid=valid, revoked=revoked, superseded=superseded, replacement=replacement,
            forged_token=_forge(valid.token, forged_name), forged_name=forged_name, jwks=jwks,
            revocation_reason=REVOCATION_REASON)
    finally:
        serving.close()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def registry_server(live_registry: LiveRegistry) -> Iterator[LiveRegistry]:
    live_registry.recorder.reset()
    yield live_registry
    live_registry.recorder.reset()


# --------------------------------------------------------------------------------------------
# The browser


class VerifyPage:
    """The verification page in a fresh Chromium profile, with its console and network logs."""

    def __init__(self, driver: Any, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url
        self.console: list[dict[str, Any]] = []
        self.network: list[dict[str, Any]] = []

    # -- navigation and reading -----------------------------------------------------------

    def open(self, url: str) -> VerifyPage:
        self.driver.get(url)
        return self

    def wait_for_verdict(self, timeout: float = 20) -> str:
        from selenium.webdriver.support.ui import WebDriverWait

        def settled(driver: Any) -> str | bool:
            region = driver.find_element("id", "verdict")
            status = region.get_attribute("data-status")
            busy = region.get_attribute("aria-busy")
            return status if status and busy != "true" else False

        return str(WebDriverWait(self.driver, timeout).until(settled))

    def verdict(self) -> str:
        return str(self.driver.find_element("id", "verdict").get_attribute("data-status"))

    def verdict_word(self) -> str:
        return str(self.driver.find_element("css selector", ".verdict__word").text)

    def reason(self) -> str:
        return str(self.driver.find_element("css selector", ".verdict__reason-text").text)

    def field(self, name: str) -> str:
        return str(self.driver.find_element(
            "css selector", f'[data-field="{name}"] .field__value').text)

    def fields(self) -> dict[str, str]:
        rows = self.driver.find_elements("css selector", "[data-field]")
        return {
            str(row.get_attribute("data-field")):
                str(row.find_element("css selector", ".field__value").text)
            for row in rows
        }

    def text(self) -> str:
        return str(self.driver.find_element("tag name", "body").text)

    def html_lang(self) -> str:
        return str(self.driver.find_element("tag name", "html").get_attribute("lang"))

    def switch_language(self, lang: str) -> None:
        self.driver.find_element("css selector", f'button[data-lang="{lang}"]').click()

    def look_up(self, typed: str) -> None:
        from selenium.webdriver.common.keys import Keys

        field_ = self.driver.find_element("id", "lookup-input")
        field_.clear()
        field_.send_keys(typed)
        field_.send_keys(Keys.ENTER)  # the keyboard submits the form

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"verify-{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    # -- layout ---------------------------------------------------------------------------

    def set_viewport(self, width: int, height: int = 900) -> None:
        """Lay the page out as a ``width`` CSS-pixel wide screen (a phone: 390; a desktop:
        1280), at one device pixel per CSS pixel so screenshots show the real layout."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def layout_problems(self) -> list[str]:
        """What a reader would see as broken, measured on the laid-out page: a horizontal
        scroll, any box sticking out of the screen, a word of the verdict split over two
        lines, a one-word verdict or a button on more than one line."""
        problems: list[str] = self.driver.execute_script(LAYOUT_PROBE)
        return problems

    def full_screenshot(self, name: str) -> Path:
        """The whole page (not just the screen) at the current width."""
        width = int(self.driver.execute_script("return window.innerWidth"))
        height = int(self.driver.execute_script(
            "return Math.ceil(document.documentElement.scrollHeight)"))
        self.set_viewport(width, max(height, 600))
        try:
            return self.screenshot(name)
        finally:
            self.set_viewport(width)

    # -- logs -----------------------------------------------------------------------------

    def _drain(self) -> None:
        self.console.extend(self.driver.get_log("browser"))
        for entry in self.driver.get_log("performance"):
            self.network.append(json.loads(entry["message"])["message"])

    def console_errors(self) -> list[str]:
        self._drain()
        return [e["message"] for e in self.console if e.get("level") == "SEVERE"]

    def requested_urls(self) -> list[str]:
        self._drain()
        return [
            m["params"]["request"]["url"]
            for m in self.network
            if m.get("method") == "Network.requestWillBeSent"
        ]

    def foreign_requests(self) -> list[str]:
        # Chromium's own pages (chrome://new-tab-page before the first get) never touch the
        # network; everything else must go to the registry on 127.0.0.1.
        internal = {"data", "about", "blob", "chrome", "chrome-untrusted", "devtools"}
        return [
            url for url in self.requested_urls()
            if urlsplit(url).scheme not in internal and urlsplit(url).hostname != "127.0.0.1"
        ]

    def response_headers(self, path: str) -> dict[str, str]:
        self._drain()
        for m in self.network:
            if m.get("method") == "Network.responseReceived":
                response = m["params"]["response"]
                if urlsplit(response["url"]).path == path:
                    return {k.lower(): v for k, v in response["headers"].items()}
        return {}

    def assert_clean(self) -> None:
        """No console errors (CSP violations included) and no request off 127.0.0.1."""
        assert self.console_errors() == []
        assert self.foreign_requests() == []


LAYOUT_PROBE = """
const problems = [];
const root = document.documentElement;
if (root.scrollWidth > root.clientWidth) {
  problems.push(`horizontal scroll: the page is ${root.scrollWidth}px wide on a ` +
                `${root.clientWidth}px screen`);
}
const lines = (node, start, end) => {
  const range = document.createRange();
  range.setStart(node, start);
  range.setEnd(node, end);
  const tops = new Set();
  for (const rect of range.getClientRects()) {
    if (rect.width > 0.5) tops.add(Math.round(rect.top));
  }
  return tops.size;
};
const name = (el) => el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}.${el.className}`;
for (const el of document.body.querySelectorAll("*")) {
  if (el.closest(".visually-hidden, [hidden]")) continue;
  const box = el.getBoundingClientRect();
  if (box.width > 0 && (box.right > root.clientWidth + 0.5 || box.left < -0.5)) {
    problems.push(`${name(el)} sticks out of the screen (${box.left}–${box.right}px)`);
  }
  const scrolls = el.tagName === "INPUT";  // a text field scrolls its own text, by design
  if (!scrolls && el.scrollWidth > el.clientWidth + 1 &&
      getComputedStyle(el).overflowX !== "visible") {
    problems.push(`${name(el)} overflows its box (${el.scrollWidth} > ${el.clientWidth})`);
  }
}
const word = document.querySelector(".verdict__word");
if (word && word.firstChild) {
  const text = word.firstChild.textContent;
  let at = 0;
  for (const part of text.split(" ")) {
    const n = lines(word.firstChild, at, at + part.length);
    if (n > 1) problems.push(`the verdict's word "${part}" is broken over ${n} lines`);
    at += part.length + 1;
  }
  const whole = lines(word.firstChild, 0, text.length);
  if (!text.includes(" ") && whole > 1) problems.push(`the verdict "${text}" takes ${whole} lines`);
}
for (const button of document.querySelectorAll("button, a.button")) {
  if (!button.offsetParent || !button.firstChild) continue;
  const n = lines(button.firstChild, 0, button.firstChild.textContent.length);
  if (n > 1) problems.push(`the button "${button.textContent}" wraps onto ${n} lines`);
}
return problems;
"""


@pytest.fixture
def open_browser(
    tmp_path: Path, registry_server: LiveRegistry
) -> Iterator[Callable[..., VerifyPage]]:
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers: list[Any] = []

    def start(languages: str = "en-US,en") -> VerifyPage:
        profile = tmp_path / f"chromium-profile-{len(drivers)}"
        profile.mkdir()
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.add_argument(f"--lang={languages.split(',')[0]}")
        options.add_experimental_option("prefs", {"intl.accept_languages": languages})
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        driver.set_page_load_timeout(30)
        drivers.append(driver)
        return VerifyPage(driver, registry_server.base_url)

    yield start
    for driver in drivers:
        driver.quit()
