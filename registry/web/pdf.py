"""The printable certificate (R10, SPEC §4 ``GET /certificates/{number}.pdf``).

``render_certificate_pdf`` is pure: read-model documents and settings in, PDF bytes out, no I/O
beyond reading the fonts shipped beside this module. The web route calls it off the event loop.

The page: A4 landscape, text in Kazakh, Russian and English, set in DejaVu Serif (it has every
letter of the Kazakh alphabet; the PDF embeds a subset — no standard-14 font is used). It shows
the university's emblem (``REGISTRY_EMBLEM``, a PNG or SVG file, read once at start) and its three
names, the listener's full name on one line (shrunk to fit) and its Latin spelling where the
learner gave one, the course title as signed and under it the title in each other language the
MOOC has, credits, hours, the issue date, the number grouped for reading, the signatory's line
(``REGISTRY_SIGNATORY``: name and position) beside a place for the seal, and the signed QR (error correction M, from ``registry.signing.qr``) drawn
as vector modules at least 4 cm wide — 5 cm from QR version 20 on (SPEC §5). A revoked or
superseded certificate carries a red banner and a diagonal mark in all three languages, so a
printout cannot pass for a valid certificate (and, instead of the signature and the seal, why).

The upper part (emblem to course titles) is laid out as rows of known heights; the space left
above the lower band (details, signature and seal, QR) is shared among the gaps between its
groups, so a short certificate is not a block of text over an empty band, and a long one still
fits (the emblem shrinks, then moves beside the names).

The PDF metadata holds only what the paper shows and nothing personal: the title is the
certificate's number, the author the university.

Rendering costs about 100 ms of CPU (150 ms with an SVG emblem, which fpdf2 parses for each
page), so the route renders once per state of a certificate:
:class:`PdfCache` keeps rendered pages (LRU, bounded in bytes) under the hash of everything
the page shows (:class:`_Content`, which any new field on the page joins) and of this module's
code. The hash is the weak ``ETag`` (the bytes differ by their creation date); a matching
``If-None-Match`` answers 304 without rendering. A revocation, a supersession, an erased name,
a new public URL, emblem or signatory: each changes what the page shows, so the key, so the ETag.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..application.service import RegistryService
from ..config import ConfigError, Settings
from ..domain.certificates import group_number
from ..signing.qr import make_qr
from .assets import FontFiles
from .jsonio import JSONResponse

__all__ = ["FONTS", "PdfCache", "certificate_pdf", "group_number", "load_emblem",
           "qr_print_width_mm", "render_certificate_pdf"]

FONTS = Path(__file__).with_name("fonts")
REGULAR = FONTS / "DejaVuSerif.ttf"
BOLD = FONTS / "DejaVuSerif-Bold.ttf"
# Read once at start: a live server's PDFs survive its package being replaced (assets.py).
FONT_FILES = FontFiles(FONTS, (REGULAR.name, BOLD.name))
FAMILY = "DejaVuSerif"

# A4 landscape, millimetres.
PAGE_W, PAGE_H = 297.0, 210.0
MARGIN = 20.0
CONTENT_W = PAGE_W - 2 * MARGIN

NAVY = (31, 58, 95)
INK = (25, 25, 25)
GREY = (95, 99, 104)
GOLD = (168, 134, 62)
RED = (178, 24, 28)

NAME_MAX_PT = 30.0
NAME_MIN_PT = 11.0  # below this the name is condensed horizontally instead
TITLE_MAX_PT = 17.0
TITLE_MIN_PT = 10.0
TITLE_MAX_LINES = 3

# SPEC §5: printed at least 4 cm wide, and at least 5 cm from version 20 on. A little over,
# so that rounding in a printer driver never takes it under.
QR_SMALL_MM = 42.0
QR_LARGE_MM = 52.0
QR_LARGE_FROM_VERSION = 20

PT_PER_MM = 72 / 25.4

TITLE = "Сертификат · Сертификат · Certificate"
AWARDED_TO = ("Осы сертификат берілді", "Настоящий сертификат выдан",
              "This certificate is awarded to")
FOR_COMPLETING = ("онлайн-курсты сәтті меңгергені үшін", "за успешное освоение онлайн-курса",
                  "for successfully completing the online course")
LABELS = {
    "credits": ("Кредиттер", "Кредиты", "Credits"),
    "hours": ("Сағаттар", "Часы", "Hours"),
    "issued": ("Берілген күні", "Дата выдачи", "Date of issue"),
    "number": ("Нөмірі", "Номер", "Number"),
}
VERIFY = "Тексеру · Проверка · Verification"
HOW_TO_VERIFY = (
    ("Түпнұсқалығын тексеру үшін QR-кодты сканерлеңіз немесе сертификат нөмірін QR-кодтың "
     "астындағы мекенжайға енгізіңіз."),
    ("Чтобы проверить подлинность, отсканируйте QR-код или введите номер сертификата по "
     "адресу под QR-кодом."),
    ("To check that it is genuine and still valid, scan the QR code or enter the certificate "
     "number at the address below it."),
)
REASON = "Себебі · Причина · Reason"
SIGNATURE = "Қолы · Подпись · Signature"
SEAL = ("М.О.", "М.П.", "Seal")
EMBLEM_MAX_MM, EMBLEM_MIN_MM = 22.0, 13.0
OTHER_TITLE_PT = 11.0
BAND_BOTTOM = PAGE_H - 22  # the lower band's baseline: details, signature, QR
SUCCESSOR = ("Жаңа сертификат", "Новый сертификат", "New certificate")
STATUS_TEXT: dict[str, tuple[tuple[str, str, str], tuple[str, str, str]]] = {
    "REVOKED": (
        ("КҮШІ ЖОЙЫЛҒАН", "ОТОЗВАН", "REVOKED"),
        ("Университет бұл сертификаттың күшін жойды. Ол жарамсыз.",
         "Университет отозвал этот сертификат. Он недействителен.",
         "The university has revoked this certificate. It is not valid."),
    ),
    "SUPERSEDED": (
        ("АУЫСТЫРЫЛҒАН", "ЗАМЕНЁН", "SUPERSEDED"),
        ("Бұл сертификат жаңасымен ауыстырылды. Ол жарамсыз.",
         "Этот сертификат заменён новым. Он недействителен.",
         "This certificate has been replaced by a newer one. It is not valid."),
    ),
}


def qr_print_width_mm(version: int) -> float:
    """The printed width of the QR symbol (quiet zone excluded) for a QR ``version``."""
    return QR_LARGE_MM if version >= QR_LARGE_FROM_VERSION else QR_SMALL_MM


@dataclass(frozen=True)
class _Content:
    number: str
    status: str
    full_name: str
    full_name_latin: str | None
    course_title: str
    credits: int | None
    hours: int | None
    issued_on: str
    url: str
    superseded_by: str | None
    revocation_reason: str | None
    university: Mapping[str, str]
    other_titles: tuple[str, ...] = ()  # the course title in the MOOC's other languages
    emblem: str | None = None  # the emblem file's path …
    emblem_digest: str | None = None  # … and its content's hash (a new emblem: a new ETag)
    signatory: tuple[str, str] | None = None  # (name, position)


@functools.lru_cache(maxsize=4)
def load_emblem(path: Path) -> bytes:
    """The emblem's bytes, read once (so replacing the file under a live server changes
    nothing until a restart), after checking that fpdf2 can draw them; a :class:`ConfigError`
    naming ``REGISTRY_EMBLEM`` otherwise."""
    try:
        data = path.read_bytes()
        probe = FPDF(unit="mm")
        probe.add_page()
        probe.image(data, x=0, y=0, h=EMBLEM_MAX_MM)
    except Exception as error:
        why = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ConfigError(f"REGISTRY_EMBLEM: {str(path)!r}: a PNG or SVG file that fpdf2 can "
                          f"draw ({why})") from None
    return data


def other_titles(course_title: str, mooc: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The MOOC's titles in kk, ru, en order, without the one the certificate was signed
    with."""
    titles = (mooc or {}).get("title") or {}
    shown = [course_title.strip()]
    others = []
    for lang in ("kk", "ru", "en"):
        title = (titles.get(lang) or "").strip()
        if title and title not in shown:
            shown.append(title)
            others.append(title)
    return tuple(others)


def render_certificate_pdf(
    cert: Mapping[str, Any],
    learner: Mapping[str, Any] | None,
    mooc: Mapping[str, Any] | None,
    settings: Settings,
) -> bytes:
    """The certificate as a one-page PDF. ``cert`` is the certificate's read-model document
    (with its signed ``token``), ``learner`` and ``mooc`` the documents it refers to (either
    may be ``None``: the Latin spelling or the hours are then left out)."""
    return _render(_content(cert, learner, mooc, settings))


def _content(cert: Mapping[str, Any], learner: Mapping[str, Any] | None,
             mooc: Mapping[str, Any] | None, settings: Settings) -> _Content:
    latin = (learner or {}).get("fullNameLatin") or None
    if latin is not None and latin.strip() == cert["fullName"].strip():
        latin = None
    return _Content(
        number=cert["number"], status=cert["status"], full_name=cert["fullName"],
        full_name_latin=latin, course_title=cert["courseTitle"],
        credits=cert.get("credits"), hours=(mooc or {}).get("hours"),
        issued_on=cert["issuedOn"], url=settings.verification_url(cert["token"]),
        superseded_by=cert.get("supersededBy"), revocation_reason=cert.get("revocationReason"),
        university=dict(settings.university_name),
        other_titles=other_titles(cert["courseTitle"], mooc),
        emblem=str(settings.emblem) if settings.emblem else None,
        emblem_digest=hashlib.sha256(load_emblem(settings.emblem)).hexdigest()
        if settings.emblem else None,
        signatory=settings.signatory,
    )


def _render(content: _Content) -> bytes:
    return bytes(_Page(content).render())


# What the page looks like, besides what it shows: a change of layout changes every ETag.
_LAYOUT = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def etag_of(content: _Content) -> str:
    shown = json.dumps(asdict(content), sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(f"{_LAYOUT}\n{shown}".encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): ``*``, or any listed tag with the same opaque
    part."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    tags = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    return any(tag in ("*", wanted) for tag in tags)


class PdfCache:
    """Rendered pages by ETag, least recently used first out, at most ``max_bytes`` in all.
    Requests for a page being rendered wait for it instead of rendering it again."""

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._rendering: dict[str, threading.Lock] = {}
        self.renders = 0

    def pdf(self, etag: str, content: _Content) -> bytes:
        page = self._get(etag)
        if page is not None:
            return page
        with self._lock:
            rendering = self._rendering.setdefault(etag, threading.Lock())
        with rendering:
            page = self._get(etag)
            if page is None:
                page = _render(content)
                self._put(etag, page)
        with self._lock:
            self._rendering.pop(etag, None)
        return page

    def _get(self, etag: str) -> bytes | None:
        with self._lock:
            page = self._pages.get(etag)
            if page is not None:
                self._pages.move_to_end(etag)
            return page

    def _put(self, etag: str, page: bytes) -> None:
        with self._lock:
            self.renders += 1
            if len(page) > self.max_bytes or etag in self._pages:
                return
            self._pages[etag] = page
            self._size += len(page)
            while self._size > self.max_bytes:
                _, dropped = self._pages.popitem(last=False)
                self._size -= len(dropped)


_DEFAULT_CACHE = PdfCache()


ERASED_PDF = (
    "The registry no longer keeps this holder's personal data (erased on request), so it cannot "
    "print the certificate. The certificate's number and status can still be checked at /v; a "
    "paper copy's QR code still verifies.")


async def certificate_pdf(request: Request) -> Response:
    """``GET /certificates/{number}.pdf`` — public by number, like the QR; 404 JSON for a
    number the registry has not issued (or whose signed token was erased)."""
    container = request.app.state.container
    if container is None:
        return JSONResponse({"error": "the registry is starting"}, status_code=503)
    number = request.path_params["number"]
    cert = await run_in_threadpool(container.service.certificate, number)
    if cert is not None and cert.get("holderErased"):
        return JSONResponse({"error": "gone", "number": cert["number"], "status": cert["status"],
                             "reason": ERASED_PDF}, status_code=410,
                            headers={"Cache-Control": "no-cache"})
    content = await run_in_threadpool(
        _content_for, container.service, container.settings, number)
    if content is None:
        return JSONResponse({"error": "no such certificate"}, status_code=404)
    etag = etag_of(content)
    headers = {
        "ETag": etag,
        # A revocation changes the paper: never serve a stale copy — revalidate each time.
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    cache: PdfCache = getattr(request.app.state, "pdf_cache", None) or _DEFAULT_CACHE
    pdf = await run_in_threadpool(cache.pdf, etag, content)
    headers["Content-Disposition"] = f'inline; filename="certificate-{content.number}.pdf"'
    return Response(pdf, media_type="application/pdf", headers=headers)


def _content_for(service: RegistryService, settings: Settings, number: str) -> _Content | None:
    cert = service.certificate(number)
    if cert is None or not cert.get("token"):
        return None
    learner = service.get("learners", cert["learnerId"]) if cert.get("learnerId") else None
    mooc = service.get("moocs", cert["moocCode"]) if cert.get("moocCode") else None
    return _content(cert, learner, mooc, settings)


class _Page:
    def __init__(self, content: _Content) -> None:
        self.c = content
        pdf = FPDF(orientation="landscape", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.add_font(FAMILY, "", FONT_FILES.path(REGULAR.name))
        pdf.add_font(FAMILY, "B", FONT_FILES.path(BOLD.name))
        self.pdf = pdf

    def render(self) -> bytearray:
        pdf, c = self.pdf, self.c
        university = c.university
        pdf.set_title(f"{TITLE.split(' · ')[-1]} {group_number(c.number)}")
        pdf.set_author(university.get("en") or next(iter(university.values()), ""))
        pdf.set_subject("Сертификат · Сертификат · Certificate of completion of an online "
                        "course (MOOC)")
        pdf.set_creator("DET Registry")
        pdf.set_producer("DET Registry (fpdf2)")
        pdf.set_lang("kk")
        pdf.add_page()

        self._frame()
        invalid = c.status in STATUS_TEXT
        if invalid:
            self._watermark(STATUS_TEXT[c.status][0])
            self._status_strip(STATUS_TEXT[c.status][0])
        band_top = min(self._details(), self._qr())
        if invalid:
            band_top = min(band_top, self._status_box())
        else:
            band_top = min(band_top, self._signature_and_seal())
        self._upper(top=25.0 if invalid else 15.0, bottom=band_top - 5)
        return pdf.output()

    def _frame(self) -> None:
        pdf = self.pdf
        pdf.set_draw_color(*NAVY)
        pdf.set_line_width(0.8)
        pdf.rect(8, 8, PAGE_W - 16, PAGE_H - 16)
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(0.25)
        pdf.rect(10.5, 10.5, PAGE_W - 21, PAGE_H - 21)

    # -- the upper part: rows of known heights, the spare space shared by the gaps ----------

    def _upper(self, top: float, bottom: float) -> None:
        emblem = load_emblem(Path(self.c.emblem)) if self.c.emblem else None
        rows = self._upper_rows()
        fixed = sum(height for height, _ in rows)
        gaps = [i for i, (height, _) in enumerate(rows) if height == 0]
        spare = bottom - top - fixed
        beside = False
        emblem_h = 0.0
        if emblem is not None:
            emblem_h = min(EMBLEM_MAX_MM, spare - 3 - 4 * len(gaps))
            if emblem_h < EMBLEM_MIN_MM:  # no room above the names: beside them, on the left
                beside, emblem_h = True, EMBLEM_MAX_MM
            else:
                spare -= emblem_h + 3
        gap = max(0.0, min(spare / max(len(gaps), 1), 9.0))
        # What the gaps cannot take (a short certificate) goes above and below the whole.
        y = top + max(0.0, spare - gap * len(gaps)) / 2
        if emblem is not None:
            if beside:
                self.pdf.image(emblem, x=MARGIN + 4, y=top - 1, h=emblem_h, keep_aspect_ratio=True,
                               w=emblem_h * 1.6)
            else:
                self.pdf.image(emblem, x=PAGE_W / 2 - emblem_h * 0.8, y=y, w=emblem_h * 1.6,
                               h=emblem_h, keep_aspect_ratio=True)
                y += emblem_h + 3
        for height, draw in rows:
            if height == 0:
                y += gap
                continue
            self.pdf.set_y(y)
            draw()
            y += height

    def _upper_rows(self) -> list[tuple[float, Callable[[], None]]]:
        """(height, draw) from the university's names to the course titles; a height of 0
        is a gap that takes a share of the spare space."""
        c, gap = self.c, (0.0, lambda: None)
        rows: list[tuple[float, Callable[[], None]]] = []
        names = [c.university[k] for k in ("kk", "ru", "en") if c.university.get(k)]
        for i, name in enumerate(names):
            rows.append((5.6, functools.partial(
                self._line, name, 12.5 if i == 0 else 10.5, bold=i == 0,
                color=NAVY if i == 0 else GREY, height=5.6)))
        rows.append((3.5, lambda: None))
        rows.append((4.0, lambda: self._rule(self.pdf.get_y(), 70)))
        rows.append((11.0, self._title))
        rows.append(gap)
        rows.append((7.0, lambda: self._line(" · ".join(AWARDED_TO), 9.5, color=GREY, height=5)))
        rows.append((self._fitted(c.full_name, NAME_MAX_PT, True)[2], functools.partial(
            self._fitted_line, c.full_name, NAME_MAX_PT, bold=True, color=INK)))
        if c.full_name_latin:
            rows.append((self._fitted(c.full_name_latin, 13, False)[2], functools.partial(
                self._fitted_line, c.full_name_latin, 13, bold=False, color=GREY)))
        rows.append(gap)
        rows.append((6.5, lambda: self._line(" · ".join(FOR_COMPLETING), 9.5, color=GREY,
                                             height=5)))
        size, lines = self._course_size()
        rows.append((len(lines) * size / PT_PER_MM * 1.3, functools.partial(
            self._course, size)))
        if c.other_titles:
            rows.append((1.5, lambda: None))
        for title in c.other_titles:
            rows.append((self._fitted(title, OTHER_TITLE_PT, False)[2], functools.partial(
                self._fitted_line, title, OTHER_TITLE_PT, bold=False, color=NAVY)))
        return rows

    def _title(self) -> None:
        self.pdf.set_char_spacing(1.2)
        self._line(TITLE.upper(), 24, bold=True, color=NAVY, height=11)
        self.pdf.set_char_spacing(0)

    def _course_size(self) -> tuple[float, list[str]]:
        size = TITLE_MAX_PT
        while True:
            self.pdf.set_font(FAMILY, "B", size)
            lines = self._wrap(CONTENT_W, self.c.course_title)
            if len(lines) <= TITLE_MAX_LINES or size <= TITLE_MIN_PT:
                return size, lines
            size -= 0.5

    def _course(self, size: float) -> None:
        pdf = self.pdf
        pdf.set_font(FAMILY, "B", size)
        pdf.set_text_color(*NAVY)
        pdf.set_x(MARGIN)
        pdf.multi_cell(CONTENT_W, size / PT_PER_MM * 1.3, text=self.c.course_title,
                       align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # -- the lower band ----------------------------------------------------------------------

    def _details(self) -> float:
        """Credits, hours, date and number down the left; returns the band's top."""
        c = self.c
        rows: list[tuple[tuple[str, str, str], str]] = []
        if c.credits is not None:
            rows.append((LABELS["credits"], str(c.credits)))
        if c.hours is not None:
            rows.append((LABELS["hours"], str(c.hours)))
        rows.append((LABELS["issued"], c.issued_on))
        rows.append((LABELS["number"], group_number(c.number)))
        pdf = self.pdf
        top = BAND_BOTTOM - 13 * len(rows)
        for i, (label, value) in enumerate(rows):
            y = top + 13 * i
            pdf.set_xy(MARGIN + 4, y)
            pdf.set_font(FAMILY, "", 8)
            pdf.set_text_color(*GREY)
            pdf.cell(88, 4, " · ".join(label), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_x(MARGIN + 4)
            pdf.set_font(FAMILY, "B", 13)
            pdf.set_text_color(*INK)
            if label is LABELS["number"]:
                pdf.set_char_spacing(0.6)
            pdf.cell(88, 6.5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_char_spacing(0)
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(0.3)
        pdf.line(MARGIN, top - 1, MARGIN, BAND_BOTTOM)
        return top - 1

    def _signature_and_seal(self) -> float:
        """The signatory's line (name and position under it, when configured) and, beside
        it, a dashed circle for the seal; under both, how to check the certificate. Returns
        the top of what it drew."""
        pdf, c = self.pdf, self.c
        x, w = 112.0, 102.0
        line_y = 146.0
        sign_w = 62.0
        pdf.set_draw_color(*INK)
        pdf.set_line_width(0.3)
        pdf.line(x, line_y, x + sign_w, line_y)
        pdf.set_xy(x, line_y + 0.8)
        pdf.set_font(FAMILY, "", 6.5)
        pdf.set_text_color(*GREY)
        pdf.cell(sign_w, 3, SIGNATURE, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
        if c.signatory:
            name, position = c.signatory
            pdf.set_font(FAMILY, "B", 10)
            pdf.set_text_color(*INK)
            self._cell_fitted(sign_w, 5, name, x)
            pdf.set_font(FAMILY, "", 8)
            pdf.set_text_color(*GREY)
            for line in self._wrap(sign_w, position)[:2]:
                self._cell_fitted(sign_w, 3.6, line, x)
        # The seal's place: where the stamp goes, overlapping the signature's end a little.
        radius = 14.0
        cx, cy = x + sign_w + 6 + radius, line_y - 1
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(0.35)
        with pdf.local_context(dash_pattern={"dash": 1.2, "gap": 1.0}):
            pdf.circle(x=cx, y=cy, radius=radius)
        pdf.set_font(FAMILY, "", 7)
        pdf.set_text_color(*GOLD)
        pdf.set_xy(cx - radius, cy - 2)
        pdf.cell(2 * radius, 4, " · ".join(SEAL), align=Align.C)
        self._how_to_verify(x, w, BAND_BOTTOM - 21)
        return min(cy - radius, line_y - 14)

    def _qr(self) -> float:
        """The signed QR at the lower right, its caption under it; returns its top."""
        pdf, c = self.pdf, self.c
        qr = make_qr(c.url, border=0)
        matrix: Sequence[Sequence[bool]] = qr.get_matrix()
        version = int(qr.version)
        width = qr_print_width_mm(version)
        module = width / len(matrix)
        quiet = 4 * module
        right = PAGE_W - MARGIN - 2
        x0 = right - width
        y0 = BAND_BOTTOM - 8 - width
        pdf.set_fill_color(255, 255, 255)
        pdf.rect(x0 - quiet, y0 - quiet, width + 2 * quiet, width + 2 * quiet, style="F")
        pdf.set_fill_color(0, 0, 0)
        overlap = module * 0.02  # hides hairline seams between rows in rasterisers
        for row_index, row in enumerate(matrix):
            y = y0 + row_index * module
            col = 0
            while col < len(row):
                if not row[col]:
                    col += 1
                    continue
                start = col
                while col < len(row) and row[col]:
                    col += 1
                pdf.rect(x0 + start * module, y, (col - start) * module + overlap,
                         module + overlap, style="F")
        center = x0 + width / 2
        pdf.set_font(FAMILY, "B", 7.5)
        pdf.set_text_color(*NAVY)
        caption_w = max(width + 24, 76)
        pdf.set_xy(min(center - caption_w / 2, PAGE_W - MARGIN - caption_w + 4), y0 + width + 2)
        pdf.cell(caption_w, 3.6, VERIFY, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "B", 8)
        pdf.set_text_color(*INK)
        base = c.url.split("#", 1)[0]
        pdf.cell(caption_w, 3.4, base, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
        return y0 - quiet

    def _watermark(self, words: tuple[str, str, str]) -> None:
        pdf = self.pdf
        with (pdf.local_context(fill_opacity=0.12, text_color=RED),
              pdf.rotation(angle=22, x=PAGE_W / 2, y=PAGE_H / 2)):
            pdf.set_font(FAMILY, "B", 46)
            for i, word in enumerate(words):
                pdf.set_xy(0, PAGE_H / 2 - 40 + 27 * i)
                pdf.cell(PAGE_W, 20, word, align=Align.C)

    def _status_strip(self, words: tuple[str, str, str]) -> None:
        """A red band across the top of the page: the first thing a reader sees."""
        pdf = self.pdf
        pdf.set_fill_color(*RED)
        pdf.rect(10.5, 10.5, PAGE_W - 21, 10.5, style="F")
        pdf.set_xy(MARGIN, 11.4)
        pdf.set_char_spacing(1.5)
        pdf.set_font(FAMILY, "B", 15)
        pdf.set_text_color(255, 255, 255)
        pdf.cell(CONTENT_W, 8.6, " · ".join(words), align=Align.C)
        pdf.set_char_spacing(0)

    def _status_box(self) -> float:
        """Why the certificate is not valid, in the middle of the lower band (where a valid
        one has its signature and seal); returns its top."""
        pdf, c = self.pdf, self.c
        x, w, bottom = 116.0, 98.0, BAND_BOTTOM
        heading, description = STATUS_TEXT[c.status]
        parts: list[tuple[str, float, bool, bool]] = [(" · ".join(heading), 10.5, True, False)]
        parts += [(text, 7.4, False, False) for text in description]
        if c.status == "SUPERSEDED" and c.superseded_by:
            parts.append((" · ".join(SUCCESSOR) + ":", 7.4, False, False))
            parts.append((group_number(c.superseded_by), 10, True, False))
        if c.status == "REVOKED" and c.revocation_reason:
            parts.append((REASON + ":", 7.4, False, False))
            parts.append((c.revocation_reason, 8.5, True, True))
        blocks: list[tuple[list[str], float, bool]] = []
        for text, size, bold, wrap in parts:
            pdf.set_font(FAMILY, "B" if bold else "", size)
            lines = [text]
            if wrap:
                lines = self._wrap(w - 8, text)
                if len(lines) > 4:
                    lines = lines[:4]
                    lines[-1] = lines[-1].rstrip()[:-1] + "…"
            blocks.append((lines, size, bold))
        height = 8 + sum(len(lines) * size / PT_PER_MM * 1.4 for lines, size, _ in blocks)
        y = bottom - height
        pdf.set_fill_color(255, 255, 255)
        pdf.set_draw_color(*RED)
        pdf.set_line_width(0.7)
        pdf.rect(x, y, w, height, style="DF")
        pdf.set_y(y + 4)
        pdf.set_text_color(*RED)
        for lines, size, bold in blocks:
            pdf.set_font(FAMILY, "B" if bold else "", size)
            for line in lines:
                self._cell_fitted(w - 8, size / PT_PER_MM * 1.4, line, x + 4)
        return y

    def _how_to_verify(self, x: float, w: float, y: float) -> None:
        pdf = self.pdf
        pdf.set_y(y)
        pdf.set_font(FAMILY, "", 7.2)
        pdf.set_text_color(*GREY)
        for text in HOW_TO_VERIFY:
            for line in self._wrap(w, text):
                pdf.set_x(x)
                pdf.cell(w, 3.3, line, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_y(pdf.get_y() + 0.8)

    # -- helpers ---------------------------------------------------------------------------

    def _line(self, text: str, size: float, *, bold: bool = False,
              color: tuple[int, int, int] = INK, height: float | None = None) -> None:
        pdf = self.pdf
        pdf.set_font(FAMILY, "B" if bold else "", size)
        pdf.set_text_color(*color)
        pdf.set_x(MARGIN)
        pdf.cell(CONTENT_W, height or size / PT_PER_MM * 1.4, text, align=Align.C,
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _fitted(self, text: str, max_size: float, bold: bool) -> tuple[float, float, float]:
        """(font size, horizontal stretch in %, line height in mm) for one unwrapped line:
        the font shrinks until the text fits the width, and below ``NAME_MIN_PT`` the glyphs
        are condensed horizontally instead."""
        self.pdf.set_font(FAMILY, "B" if bold else "", max_size)
        width = self.pdf.get_string_width(text)
        size, stretch = max_size, 100.0
        if width > CONTENT_W:
            size = max_size * CONTENT_W / width * 0.995
            if size < NAME_MIN_PT:
                stretch = 100.0 * size / NAME_MIN_PT
                size = NAME_MIN_PT
        return size, stretch, max(size, 0.75 * max_size) / PT_PER_MM * 1.45

    def _fitted_line(self, text: str, max_size: float, *, bold: bool,
                     color: tuple[int, int, int]) -> None:
        """One line, never wrapped (see :meth:`_fitted`)."""
        pdf = self.pdf
        size, stretch, height = self._fitted(text, max_size, bold)
        pdf.set_font(FAMILY, "B" if bold else "", size)
        pdf.set_stretching(stretch)
        pdf.set_text_color(*color)
        pdf.set_x(MARGIN)
        pdf.cell(CONTENT_W, height, text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_stretching(100)

    def _wrap(self, width: float, text: str) -> list[str]:
        """The lines ``text`` breaks into at ``width`` in the current font (nothing drawn)."""
        lines = self.pdf.multi_cell(width, text=text, dry_run=True, output="LINES")
        assert isinstance(lines, list)
        return [str(line) for line in lines]

    def _cell_fitted(self, w: float, h: float, text: str, x: float) -> None:
        """A centred cell at ``x`` on the current line, condensed horizontally if it is too
        wide; the next line starts under it."""
        pdf = self.pdf
        pdf.set_x(x)
        width = pdf.get_string_width(text)
        if width > w:
            pdf.set_stretching(100.0 * w / width * 0.99)
        pdf.cell(w, h, text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_stretching(100)

    def _rule(self, y: float, length: float) -> None:
        pdf = self.pdf
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(0.35)
        pdf.line(PAGE_W / 2 - length / 2, y, PAGE_W / 2 + length / 2, y)
