"""QR codes for certificate verification URLs (SPEC §5): error correction M, smallest version.

Level M (15 % recovery) is the trade-off SPEC §5 sizes its budget on: a printed, possibly
creased certificate still scans, while a long Kazakh name and title stay within version 22.

The SVG is drawn here from ``QRCode.get_matrix()`` (qrcode's public API) rather than with
qrcode's SVG image factories, because those hard-code 1 mm per module as the width/height
and offer no public way to change it (SPEC §8) — a version-22 code would print 11 cm wide and
small codes far too small. Our SVG has:

* ``viewBox="0 0 N N"`` in module units (N includes the 4-module quiet zone), so it scales
  cleanly to any size a PDF or web page gives it;
* a physical ``width``/``height`` in mm for standalone printing: modules of at least 0.5 mm
  and the symbol itself (without quiet zone) at least 50 mm wide — SPEC §5's "printed at least
  5 cm wide" — unless ``width_mm`` says otherwise;
* a white background and ``shape-rendering="crispEdges"`` so that no anti-aliasing seams
  appear between modules.
"""

from __future__ import annotations

import io
from decimal import Decimal

# qrcode ships no type information (pyproject's mypy overrides say so).
import qrcode
import qrcode.constants
from qrcode.image.pil import PilImage

__all__ = ["qr_png", "qr_svg", "qr_version"]

ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QUIET_ZONE = 4
MIN_MODULE_MM = Decimal("0.5")
MIN_SYMBOL_MM = Decimal(50)


def make_qr(data: str, *, box_size: int = 10, border: int = QUIET_ZONE) -> qrcode.QRCode[PilImage]:
    """The fitted ``QRCode`` object (exposed for tests and callers that need its details)."""
    qr: qrcode.QRCode[PilImage] = qrcode.QRCode(
        version=None,
        error_correction=ERROR_CORRECTION,
        box_size=box_size,
        border=border,
        image_factory=PilImage,
    )
    qr.add_data(data)
    qr.make(fit=True)
    return qr


def qr_version(data: str) -> int:
    """The QR version (1–40) ``data`` needs at level M."""
    version = make_qr(data).version
    assert version is not None  # set by make(fit=True)
    return int(version)


def qr_png(data: str, *, box_size: int = 10, border: int = QUIET_ZONE) -> bytes:
    """A black-on-white PNG, ``box_size`` pixels per module, ``border`` modules of quiet zone."""
    image = make_qr(data, box_size=box_size, border=border).make_image()
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_svg(data: str, *, border: int = QUIET_ZONE, width_mm: float | None = None) -> bytes:
    """A standalone, scalable SVG (see the module docstring for its size)."""
    matrix = make_qr(data, border=border).get_matrix()
    size = len(matrix)
    if width_mm is None:
        symbol = size - 2 * border
        module = max(MIN_MODULE_MM, MIN_SYMBOL_MM / symbol)
        width = _mm(module * size)
    elif width_mm > 0:
        width = _mm(Decimal(str(width_mm)))
    else:
        raise ValueError("width_mm must be positive")
    path = "".join(_row_path(y, row) for y, row in enumerate(matrix))
    svg = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 {size} {size}" '
        f'width="{width}" height="{width}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#ffffff"/>'
        f'<path fill="#000000" d="{path}"/>'
        "</svg>\n"
    )
    return svg.encode("utf-8")


def _row_path(y: int, row: list[bool]) -> str:
    """One path rectangle per horizontal run of dark modules (keeps the file small)."""
    parts: list[str] = []
    x = 0
    while x < len(row):
        if row[x]:
            start = x
            while x < len(row) and row[x]:
                x += 1
            parts.append(f"M{start},{y}h{x - start}v1h-{x - start}z")
        else:
            x += 1
    return "".join(parts)


def _mm(value: Decimal) -> str:
    """A length like ``54.5mm``, rounded to 0.01 mm, with no trailing zeros."""
    text = f"{value.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return f"{text}mm"
