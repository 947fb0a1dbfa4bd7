"""The printable certificate, ``GET /certificates/{number}.pdf`` (R10, SPEC §4, §5).

Checked with Debian's poppler-utils (pdftotext, pdffonts, pdfinfo, pdftoppm) and zbar
(pyzbar): the text in three languages with every Kazakh letter, every font embedded and none of
the standard 14, A4 landscape, the QR decodable from a 150-dpi rendering and printed at least
4 cm (5 cm from version 20) wide, and a banner on a revoked or superseded certificate. The tools
missing: the test skips, except under ``CI=true`` where it fails. The rendered pages are kept in
``test-artifacts/`` to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from apiclient import Api
from support import (
    ADMIN,
    KAZAKH_NAME,
    KAZAKH_TITLE,
    certified,
    examined,
    issued,
    reissued,
    revoked,
    scored,
)

from registry.application.service import RegistryService
from registry.config import Settings
from registry.domain.moocs import LocalizedText
from registry.signing.qr import qr_version
from registry.web.pdf import BOLD, FONTS, REGULAR, group_number, render_certificate_pdf

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
KAZAKH_UPPER = "АӘБВГҒДЕЁЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЩЪЫІЬЭЮЯ"
KAZAKH_LOWER = KAZAKH_UPPER.lower()
STANDARD_14 = ("Helvetica", "Times", "Courier", "Symbol", "ZapfDingbats", "Arial")
DPI = 150
PX_PER_CM = DPI / 2.54

# SPEC §5's hardest budget: a 60-character name and a 120-character title.
LONG_NAME = "Әлия-Мәдина Ғабитқызы Құрманова-Сәрсенбаева Нұрсұлтанқызы Ұ."
LONG_TITLE = ("Қазақ әдебиетінің тарихы және қазіргі заманғы үрдістері: ауыз әдебиетінен "
              "тәуелсіздік кезеңіне дейінгі көркем шығармалар")


def _skip_or_fail(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: {message}")
    pytest.skip(message)


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        _skip_or_fail(f"{name} is not installed: apt-get install -y poppler-utils (SPEC §7)")
    assert path is not None
    return path


def run(*args: str, data: bytes | None = None) -> str:
    result = subprocess.run([tool(args[0]), *args[1:]], input=data, capture_output=True,
                            check=True, timeout=60)
    return result.stdout.decode("utf-8")


def save(name: str, pdf: bytes) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"certificate-{name}.pdf"
    path.write_bytes(pdf)
    return path


def text_of(pdf_path: Path, *options: str) -> str:
    return run("pdftotext", *options, str(pdf_path), "-")


def flat(text: str) -> str:
    return " ".join(text.split())


def render_png(pdf_path: Path) -> Path:
    """Page 1 at 150 dpi, kept in test-artifacts/ for a person to look at."""
    prefix = pdf_path.with_suffix("")
    run("pdftoppm", "-r", str(DPI), "-png", "-singlefile", "-f", "1", "-l", "1",
        str(pdf_path), str(prefix))
    return prefix.with_suffix(".png")


def decode_qr(png: Path) -> list[Any]:
    try:
        from pyzbar.pyzbar import decode
    except ImportError as missing:  # pyzbar, or libzbar0 under it
        _skip_or_fail(f"zbar is not available ({missing}): apt-get install -y libzbar0")
    from PIL import Image

    with Image.open(png) as image:
        found: list[Any] = decode(image.convert("L"))
    return found


def dark_extent_px(png: Path, rect: Any) -> int:
    """The width of the symbol's dark modules across the rows zbar found it in, looking a few
    pixels past its edges (less than the white quiet zone of 4 modules, about 11 px here)."""
    from PIL import Image

    with Image.open(png) as image:
        gray = image.convert("L")
        pad = 8
        box = (rect.left - pad, rect.top, rect.left + rect.width + pad, rect.top + rect.height)
        bbox = gray.crop(box).point(lambda v: 255 if v < 128 else 0).getbbox()
    assert bbox is not None
    return int(bbox[2] - bbox[0])


def get_pdf(api: Api, number: str) -> bytes:
    response = api.client.get(f"/certificates/{number}.pdf")  # no token: public by number
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return response.content


def certificate_for(service: RegistryService, name: str, title: str,
                    code: str = "LONG-101", titles: LocalizedText | None = None
                    ) -> dict[str, Any]:
    """A certificate for ``name`` in a MOOC titled ``title`` in Kazakh (``titles``: in
    each language given)."""
    titles = titles or LocalizedText(kk=title, en="Kazakh literature")
    service.run(ADMIN, lambda cmd: cmd.moocs.draft(
        code=code, title=titles, language="kk", credits=5, hours=150,
        department="Philology"))
    service.run(ADMIN, lambda cmd: cmd.moocs.submit_for_review(code))
    service.run(ADMIN, lambda cmd: cmd.moocs.record_expert_review(
        code=code, passed=True, reviewer="Prof. Ахметова", remarks=None))
    service.run(ADMIN, lambda cmd: cmd.moocs.record_approbation(code=code, passed=True,
                                                                remarks="ok"))
    service.run(ADMIN, lambda cmd: cmd.moocs.publish(code=code, platform_code="moocs.kz"))
    learner_id = service.run(ADMIN, lambda cmd: cmd.learners.register(
        full_name=name, email=None, iin=None, full_name_latin="Aliya-Madina Kurmanova"))
    key = service.run(ADMIN, lambda cmd: cmd.enrollments.enroll(learner_id=uuid.UUID(learner_id),
                                                                mooc_code=code))
    enrollment = service.doc("enrollments", key)
    return issued(service, examined(service, scored(service, enrollment)))


def check_qr(api: Api, cert: dict[str, Any], pdf_path: Path) -> tuple[int, float]:
    """The QR decodes to the verification URL; returns (version, printed width in cm)."""
    url = api.container.settings.verification_url(cert["token"])
    found = decode_qr(render_png(pdf_path))
    assert [symbol.data.decode("utf-8") for symbol in found] == [url]
    version = qr_version(url)
    width_cm = dark_extent_px(pdf_path.with_suffix(".png"), found[0].rect) / PX_PER_CM
    minimum = 5.0 if version >= 20 else 4.0
    assert width_cm >= minimum, f"version {version}: {width_cm:.2f} cm < {minimum} cm"
    return version, width_cm


# -- the short, everyday case ----------------------------------------------------------------


def test_certificate_pdf_shows_the_certificate_in_three_languages(api: Api) -> None:
    service = api.container.service
    cert = certified(service)
    pdf = save("short", get_pdf(api, cert["number"]))
    text = text_of(pdf)
    lines = [line.strip() for line in text.splitlines()]
    assert KAZAKH_NAME in lines  # exactly, and on one line
    assert "Aliya Kurmanova" in lines  # the Latin spelling the learner gave
    assert KAZAKH_TITLE in flat(text)
    for name in api.container.settings.university_name.values():
        assert name in lines
    assert "Сертификат · Сертификат · Certificate".upper() in lines
    assert group_number(cert["number"]) in flat(text)
    assert re.search(r"\b150\b", text) and re.search(r"\b5\b", text)  # hours, credits
    assert cert["issuedOn"] in text
    for banner in ("REVOKED", "ОТОЗВАН", "SUPERSEDED"):
        assert banner not in text


def test_certificate_pdf_is_a4_landscape_with_plain_metadata(api: Api) -> None:
    cert = certified(api.container.service)
    pdf = save("metadata", get_pdf(api, cert["number"]))
    info = run("pdfinfo", str(pdf))
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size is not None, info
    assert abs(float(size.group(1)) - 842) <= 1 and abs(float(size.group(2)) - 595) <= 1
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)
    fields = dict(re.findall(r"^(\w+):\s+(.*)$", info, re.MULTILINE))
    assert fields["Title"] == f"Certificate {group_number(cert['number'])}"
    assert fields["Author"] == "Al-Farabi Kazakh National University"
    # No personal data in the metadata: the name is on the paper, not in the document info.
    for personal in ("Әлия", "Құрманова", "Aliya", "aliya@example.kz"):
        assert personal not in info


def test_every_font_is_embedded_and_none_is_standard_14(api: Api) -> None:
    cert = certified(api.container.service)
    pdf = save("fonts", get_pdf(api, cert["number"]))
    rows = run("pdffonts", str(pdf)).splitlines()[2:]
    assert rows, "the PDF lists no font"
    for row in rows:
        name, emb = row.split()[0], row.split()[-5]
        assert emb == "yes", row
        assert not any(standard.lower() in name.lower() for standard in STANDARD_14), row
        assert "DejaVuSerif" in name


def test_qr_decodes_from_a_150_dpi_rendering_and_is_printed_at_least_4_cm(api: Api) -> None:
    cert = certified(api.container.service)
    pdf = save("short", get_pdf(api, cert["number"]))
    version, width_cm = check_qr(api, cert, pdf)
    assert version < 20 and width_cm >= 4.0
    print(f"short case: QR version {version}, printed {width_cm:.2f} cm wide")


# -- SPEC §5's longest case ----------------------------------------------------------------


def test_long_name_stays_on_one_line_and_the_large_qr_is_5_cm(api: Api) -> None:
    assert len(LONG_NAME) == 60 and len(LONG_TITLE) == 120
    cert = certificate_for(api.container.service, LONG_NAME, LONG_TITLE)
    pdf = save("long", get_pdf(api, cert["number"]))
    text = text_of(pdf)
    assert LONG_NAME in [line.strip() for line in text.splitlines()]
    assert LONG_NAME in text_of(pdf, "-layout")  # one line in the page's layout, too
    assert flat(LONG_TITLE) in flat(text)
    # The name's font shrank to fit: its text is set smaller than the short name's 30 pt.
    html = text_of(pdf, "-bbox-layout")
    word = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">'
                     r"Құрманова-Сәрсенбаева</word>", html)
    assert word is not None
    height = float(word.group(3)) - float(word.group(2))
    assert height < 30, f"the long name is set {height:.1f} pt high"
    version, width_cm = check_qr(api, cert, pdf)
    assert version >= 20 and width_cm >= 5.0
    print(f"long case: QR version {version}, printed {width_cm:.2f} cm wide")


# -- the Kazakh alphabet ---------------------------------------------------------------------


def test_the_shipped_fonts_have_every_kazakh_letter() -> None:
    from fontTools.ttLib import TTFont

    assert (FONTS / "LICENSE").is_file()
    for path in (REGULAR, BOLD):
        cmap = TTFont(path).getBestCmap()
        missing = [ch for ch in KAZAKH_UPPER + KAZAKH_LOWER if ord(ch) not in cmap]
        assert not missing, f"{path.name} lacks {missing}"
    assert len(KAZAKH_UPPER) == 42


def test_all_42_kazakh_letters_survive_a_pdftotext_round_trip() -> None:
    name = f"{KAZAKH_UPPER} {KAZAKH_LOWER}"
    doc = {"number": "3B2ZK41BYZT76BZ4H", "token": "header.payload.signature",
           "status": "ACTIVE", "fullName": name, "courseTitle": name, "credits": 5,
           "issuedOn": "2026-06-15"}
    pdf = save("alphabet", render_certificate_pdf(doc, None, None, Settings()))
    text = text_of(pdf)
    assert name in [line.strip() for line in text.splitlines()]  # the name, on one line
    assert flat(name) in flat(text.replace(name, "", 1))  # and the course title


# -- revoked and superseded ------------------------------------------------------------------


def test_a_revoked_certificate_says_so_in_three_languages(api: Api) -> None:
    service = api.container.service
    cert = certified(service)
    reason = "Емтиханды басқа адам тапсырды (the exam was sat by someone else)."
    revoked(service, cert["number"], reason)
    pdf = save("revoked", get_pdf(api, cert["number"]))
    text = flat(text_of(pdf))
    for word in ("КҮШІ ЖОЙЫЛҒАН", "ОТОЗВАН", "REVOKED"):
        assert word in text
    assert "The university has revoked this certificate. It is not valid." in text
    assert flat(reason) in text  # shown word for word
    check_qr(api, cert, pdf)  # the banner does not cover the QR: it still scans


def test_a_superseded_certificate_says_so_and_names_its_successor(api: Api) -> None:
    service = api.container.service
    cert = certified(service)
    new_number = reissued(service, cert["number"])
    old = flat(text_of(save("superseded", get_pdf(api, cert["number"]))))
    for word in ("АУЫСТЫРЫЛҒАН", "ЗАМЕНЁН", "SUPERSEDED"):
        assert word in old
    assert group_number(new_number) in old
    new = text_of(save("reissued", get_pdf(api, new_number)))
    assert "Әлия Ғабитқызы Құрманова-Сейітова" in new and "SUPERSEDED" not in new


# -- the route -------------------------------------------------------------------------------


def test_unknown_number_is_404_json_and_the_route_takes_a_grouped_number(api: Api) -> None:
    cert = certified(api.container.service)
    for number in ("0000000000000000" + "0", "not-a-number"):
        response = api.client.get(f"/certificates/{number}.pdf")
        assert response.status_code == 404
        assert response.json() == {"error": "no such certificate"}
    grouped = api.client.get(f"/certificates/{group_number(cert['number'])}.pdf")
    assert grouped.status_code == 200 and grouped.content.startswith(b"%PDF-")
    assert f'filename="certificate-{cert["number"]}.pdf"' in grouped.headers[
        "content-disposition"]
    assert grouped.headers["cache-control"] == "no-cache"
    # The QR route next to it still answers (the two routes do not swallow each other).
    qr = api.client.get(f"/certificates/{cert['number']}/qr.png")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/png"


def test_render_is_pure_and_needs_no_learner_or_mooc() -> None:
    doc = {"number": "3B2ZK41BYZT76BZ4H", "token": "a.b.c", "status": "ACTIVE",
           "fullName": KAZAKH_NAME, "courseTitle": KAZAKH_TITLE, "credits": 5,
           "issuedOn": "2026-06-15"}
    pdf = render_certificate_pdf(doc, None, None, Settings())
    assert pdf.startswith(b"%PDF-") and len(pdf) < 200_000  # subset fonts, not whole ones
    text = text_of(save("no-mooc", pdf))
    assert "3B2Z-K41B-YZT7-6BZ4-H" in text and KAZAKH_NAME in text
    assert "Hours" not in text  # no MOOC document: the hours are left out, not invented


# -- the emblem, the signatory, the seal, the titles in each language, the balance ----------

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TITLES = {"kk": "Қазақ әдебиетінің тарихы", "ru": "История казахской литературы",
          "en": "History of Kazakh literature"}
SIGNATORY = ("Жансеит Кансеитұлы Туймебаев", "Ректор · Ректор · Rector")


def png_emblem(path: Path) -> Path:
    """A 200×200 PNG emblem: a navy disc on white."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (200, 200), "white")
    ImageDraw.Draw(image).ellipse((10, 10, 190, 190), fill=(31, 58, 95))
    image.save(path)
    return path


def api_with(settings: Settings, clock: Any) -> Any:
    from apiclient import make_client

    return make_client(settings, clock)


def blank_bands_mm(png: Path) -> list[float]:
    """The heights of the horizontal bands inside the frame with nothing on them (every
    pixel near white), tallest first."""
    from PIL import Image

    with Image.open(png) as image:
        gray = image.convert("L")
        width, height = gray.size
        px_per_mm = width / 297.0
        left, right = int(14 * px_per_mm), int(width - 14 * px_per_mm)
        top, bottom = int(14 * px_per_mm), int(height - 14 * px_per_mm)
        # A row is empty when even its darkest pixel is near white.
        darkest = [int(gray.crop((left, y, right, y + 1)).getextrema()[0])  # type: ignore[index]
                   for y in range(top, bottom)]
    bands, run = [], 0
    for value in [*darkest, 0]:
        if value > 235:
            run += 1
        else:
            if run:
                bands.append(run / px_per_mm)
            run = 0
    return sorted(bands, reverse=True) or [0.0]


def test_the_pdf_has_the_titles_in_each_language_the_emblem_the_signatory_and_the_seal(
    sqlite_settings: Settings, clock: Any, tmp_path: Path
) -> None:
    from dataclasses import replace

    emblem = png_emblem(tmp_path / "emblem.png")
    settings = replace(sqlite_settings, emblem=emblem, signatory=SIGNATORY)
    with api_with(settings, clock) as client:
        api = Api(client)
        cert = certificate_for(api.container.service, KAZAKH_NAME, TITLES["kk"], "TRI-101",
                               LocalizedText(**TITLES))
        pdf = save("trilingual", get_pdf(api, cert["number"]))
        check_qr(api, cert, pdf)  # the QR still scans beside the seal
    lines = [line.strip() for line in text_of(pdf).splitlines()]
    for title in TITLES.values():  # each on its own line
        assert title in lines, title
    assert SIGNATORY[0] in lines and SIGNATORY[1] in lines
    assert "Қолы · Подпись · Signature" in lines
    assert "М.О. · М.П. · Seal" in lines
    images = run("pdfimages", "-list", str(pdf)).splitlines()[2:]
    assert [row.split()[3:5] for row in images] == [["200", "200"]]  # the emblem, and only it
    png = render_png(pdf)
    # No large empty band (the page before this layout had one of 34 mm).
    assert blank_bands_mm(png)[0] < 16, blank_bands_mm(png)[:3]


def test_an_svg_emblem_is_drawn_and_the_page_without_one_leaves_no_hole(
    tmp_path: Path
) -> None:
    """The SVG is drawn as vectors (no image object): seen on the rendering, where the emblem's
    navy disc adds thousands of navy pixels at the top centre (without it, only the names'
    letters are there); the page is balanced either way."""
    from PIL import Image

    doc = {"number": "3B2ZK41BYZT76BZ4H", "token": "a.b.c", "status": "ACTIVE",
           "fullName": KAZAKH_NAME, "courseTitle": TITLES["kk"], "credits": 5,
           "issuedOn": "2026-06-15"}
    mooc = {"hours": 150, "title": TITLES}
    with_svg = Settings(emblem=EXAMPLES / "emblem.svg", signatory=SIGNATORY)
    shown = {}
    for name, settings in (("svg-emblem", with_svg), ("no-emblem", Settings())):
        pdf = save(name, render_certificate_pdf(doc, None, mooc, settings))
        png = render_png(pdf)
        with Image.open(png) as image:
            px_per_mm = image.size[0] / 297.0
            top_centre = image.convert("RGB").crop((
                int(138 * px_per_mm), int(14 * px_per_mm), int(159 * px_per_mm),
                int(40 * px_per_mm)))
            rgb = top_centre.tobytes()
            navy = sum(1 for i in range(0, len(rgb), 3)
                       if rgb[i + 2] > 70 and rgb[i] < 60 and rgb[i + 1] < 90)
        shown[name] = navy
        assert blank_bands_mm(png)[0] < 16, (name, blank_bands_mm(png)[:3])
        flat_text = flat(text_of(pdf))
        for title in TITLES.values():
            assert title in flat_text
    assert shown["svg-emblem"] > 2000 + 3 * shown["no-emblem"], shown


def test_the_old_layout_would_have_failed_the_band_check(tmp_path: Path) -> None:
    """The band check can fail: a page with its upper part squeezed to the top (as before
    this layout shared the space) has an empty band well over 16 mm (the page before had 34 mm)."""
    from PIL import Image, ImageDraw

    page = Image.new("L", (1754, 1240), 255)  # A4 landscape at 150 dpi
    draw = ImageDraw.Draw(page)
    draw.rectangle((300, 150, 1450, 560), fill=0)  # the upper part, ending at ~95 mm
    draw.rectangle((200, 800, 1550, 1100), fill=0)  # the lower band, from ~135 mm
    path = tmp_path / "squeezed.png"
    page.save(path)
    assert blank_bands_mm(path)[0] > 30


def test_a_bad_emblem_or_signatory_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    from registry.config import ConfigError

    text = tmp_path / "emblem.txt"
    text.write_text("not an image")
    for value, expected in ((str(tmp_path / "missing.png"), "no such file"),
                            (str(text), "this one is neither")):
        with pytest.raises(ConfigError) as refused:
            Settings.from_env({"REGISTRY_EMBLEM": value})
        message = str(refused.value)
        assert message.startswith(f"REGISTRY_EMBLEM: {value!r}: a readable PNG or SVG file")
        assert expected in message and "\n" not in message
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)  # a PNG's signature, then nothing
    settings = Settings.from_env({"REGISTRY_EMBLEM": str(broken)})  # looks like a PNG …
    from registry.web.pdf import load_emblem

    with pytest.raises(ConfigError, match=r"^REGISTRY_EMBLEM: '.*broken.png': a PNG or SVG "
                                          r"file that fpdf2 can draw"):
        load_emblem(settings.emblem)  # … and is refused at start, before any PDF
    assert Settings.from_env({"REGISTRY_EMBLEM": str(EXAMPLES / "emblem.svg")}).emblem
    assert Settings.from_env({"REGISTRY_SIGNATORY": " Ерлан  Сыдықов | Ректор "}).signatory \
        == ("Ерлан Сыдықов", "Ректор")
    for bad in ("Ерлан Сыдықов", "|Ректор", "A|B|C"):
        with pytest.raises(ConfigError, match=r"^REGISTRY_SIGNATORY: .*'Name\|Position'"):
            Settings.from_env({"REGISTRY_SIGNATORY": bad})


def test_a_new_emblem_or_signatory_makes_a_new_etag(tmp_path: Path) -> None:
    """The PDF cache and the browsers' copies follow a change of emblem or signatory."""
    from registry.web.pdf import _content, etag_of

    doc = {"number": "3B2ZK41BYZT76BZ4H", "token": "a.b.c", "status": "ACTIVE",
           "fullName": KAZAKH_NAME, "courseTitle": TITLES["kk"], "credits": 5,
           "issuedOn": "2026-06-15"}
    first, second = png_emblem(tmp_path / "a.png"), tmp_path / "b.svg"
    second.write_bytes((EXAMPLES / "emblem.svg").read_bytes())
    tags = {etag_of(_content(doc, None, None, settings)) for settings in (
        Settings(), Settings(emblem=first), Settings(emblem=second),
        Settings(emblem=first, signatory=SIGNATORY))}
    assert len(tags) == 4
