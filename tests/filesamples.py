"""Small genuine documents built in the test (no files read from outside the repository):
a PDF written by hand with a correct cross-reference table, DOCX/XLSX as the Office Open XML
packages Word and Excel open, ODT/ODS as OpenDocument packages — and files that lie."""

from __future__ import annotations

import io
import zipfile


def pdf(text: str = "Programme document") -> bytes:
    """A one-page PDF 1.4 with correct xref offsets."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def _zip(members: list[tuple[str, str | bytes]], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(members):
            method = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data,
                             compress_type=method)
    return buffer.getvalue()


_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="{target}"/></Relationships>')


def _content_types(part: str, content_type: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="{part}" ContentType="{content_type}"/></Types>')


def docx(text: str = "Силлабус: қашықтықтан оқыту бөлігі") -> bytes:
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                f'main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>')
    return _zip([
        ("[Content_Types].xml", _content_types(
            "/word/document.xml", "application/vnd.openxmlformats-officedocument."
            "wordprocessingml.document.main+xml")),
        ("_rels/.rels", _RELS.format(target="word/document.xml")),
        ("word/document.xml", document),
    ])


def xlsx() -> bytes:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    workbook = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" '
                f'xmlns:r="{rel}"><sheets><sheet name="Смета" sheetId="1" r:id="rId1"/>'
                '</sheets></workbook>')
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><sheetData>'
             '<row r="1"><c r="A1"><v>42</v></c></row></sheetData></worksheet>')
    return _zip([
        ("[Content_Types].xml", _content_types(
            "/xl/workbook.xml", "application/vnd.openxmlformats-officedocument."
            "spreadsheetml.sheet.main+xml").replace(
            "</Types>", '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>")),
        ("_rels/.rels", _RELS.format(target="xl/workbook.xml")),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", _RELS.replace("officeDocument\" Target", "worksheet\" "
                                                     "Target").format(
            target="worksheets/sheet1.xml")),
        ("xl/worksheets/sheet1.xml", sheet),
    ])


def _odf(mimetype: str) -> bytes:
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
                '<manifest:file-entry manifest:full-path="content.xml" '
                'manifest:media-type="text/xml"/></manifest:manifest>')
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office='
               '"urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2">'
               '<office:body/></office:document-content>')
    return _zip([("mimetype", mimetype), ("META-INF/manifest.xml", manifest),
                 ("content.xml", content)], stored_first=True)


def odt() -> bytes:
    return _odf("application/vnd.oasis.opendocument.text")


def ods() -> bytes:
    return _odf("application/vnd.oasis.opendocument.spreadsheet")


# -- liars ---------------------------------------------------------------------------------

def exe() -> bytes:
    """The start of a PE executable (a renamed .exe)."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + \
        b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 64


def plain_zip() -> bytes:
    """A zip archive that is no office document."""
    return _zip([("notes.txt", "just a zip"), ("photo.jpg", b"\xff\xd8\xff\xe0")])


def text() -> bytes:
    return "Бұл мәтін, құжат емес.\n".encode()


def macro_docm() -> bytes:
    """A macro-enabled Word file (DOCM) dressed as DOCX: refused."""
    return _zip([
        ("[Content_Types].xml", _content_types(
            "/word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml")),
        ("word/document.xml", "<w:document/>"),
    ])
