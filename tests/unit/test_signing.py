"""Certificate signing: keys, the JWS token, and the QR code (SPEC §5)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import io
import json
import multiprocessing
import os
import shutil
import stat
import subprocess
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import qrcode.constants  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jws as joserfc_jws
from joserfc.jwk import OKPKey
from jwcrypto import jwk as jwcrypto_jwk  # type: ignore[import-untyped]
from jwcrypto import jws as jwcrypto_jws

from registry.signing import (
    CertificateClaims,
    InvalidToken,
    KeyStore,
    SigningKey,
    key_id,
    qr_png,
    qr_svg,
    qr_version,
    sign_certificate,
    verify_token,
)
from registry.signing.keys import ACTIVE_KEY_FILE
from registry.signing.qr import make_qr

KAZAKH_NAME = "Әлия Ғабитқызы Құрманова"
KAZAKH_TITLE = "Деректер қоры: кеңейтілген өңдеу, ұйым, үлгілер, һәм іріктеу"
PUBLIC_URL = "http://127.0.0.1:8000"
B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.from_private_key(Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def jwks(key: SigningKey) -> dict[str, Any]:
    return {"keys": [key.public_jwk]}


@pytest.fixture(scope="module")
def claims() -> CertificateClaims:
    return CertificateClaims(
        number="7K3M9XQ2V8B4R6T1W",
        full_name=KAZAKH_NAME,
        course_title=KAZAKH_TITLE,
        credits=5,
        issued_on=datetime.date(2025, 6, 30),
    )


@pytest.fixture(scope="module")
def token(key: SigningKey, claims: CertificateClaims) -> str:
    return sign_certificate(key, claims)


def forge(header: dict[str, Any], payload: bytes, sign: Any) -> str:
    """A compact JWS with any header, signed by ``sign(signing_input) -> bytes``."""
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(payload)
    return signing_input + "." + b64url(sign(signing_input.encode("ascii")))


# -- keys ---------------------------------------------------------------------------------


def test_key_id_is_the_first_16_characters_of_the_rfc7638_thumbprint(key: SigningKey) -> None:
    independent = jwcrypto_jwk.JWK(kty="OKP", crv="Ed25519", x=key.public_jwk["x"]).thumbprint()
    assert key_id(key.public_key) == independent[:16]
    assert key.kid == independent[:16]


def test_the_public_jwk_names_the_rfc9864_algorithm_and_carries_no_private_part(
    key: SigningKey,
) -> None:
    jwk = key.public_jwk
    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "Ed25519", "sig")
    assert len(b64url_decode(jwk["x"])) == 32


def test_ensure_key_creates_a_key_once_and_then_loads_it(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    first = KeyStore(directory).ensure_key()
    second = KeyStore(directory).ensure_key()
    assert first.kid == second.kid
    assert [k.kid for k in KeyStore(directory).keys()] == [first.kid]


def test_the_key_file_is_owner_only_and_the_new_directory_private(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    old_umask = os.umask(0)  # the most permissive umask must not leak into the modes
    try:
        KeyStore(directory).ensure_key()
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((directory / ACTIVE_KEY_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert [p.name for p in directory.iterdir()] == [ACTIVE_KEY_FILE]  # no temp file left


def test_the_key_file_is_unencrypted_pkcs8_pem(tmp_path: Path) -> None:
    KeyStore(tmp_path).ensure_key()
    assert (tmp_path / ACTIVE_KEY_FILE).read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_jwks_publishes_the_active_key_and_find_looks_keys_up(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    active = store.ensure_key()
    assert store.jwks() == {"keys": [active.public_jwk]}
    assert store.find(active.kid) == active
    assert store.find("AAAAAAAAAAAAAAAA") is None


def test_threads_racing_on_an_empty_directory_agree_on_one_key(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    barrier = threading.Barrier(8)
    kids: list[str] = []

    def start() -> None:
        store = KeyStore(directory)
        barrier.wait()
        kids.append(store.ensure_key().kid)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(kids) == 8 and len(set(kids)) == 1
    assert [p.name for p in directory.iterdir()] == [ACTIVE_KEY_FILE]


def _ensure_key_in_process(directory: str, barrier: Any, results: Any) -> None:
    store = KeyStore(Path(directory))
    barrier.wait()
    results.put(store.ensure_key().kid)


def test_processes_racing_on_an_empty_directory_agree_on_one_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    directory = tmp_path / "keys"
    barrier = context.Barrier(6)
    results = context.Queue()
    processes = [
        context.Process(target=_ensure_key_in_process, args=(str(directory), barrier, results))
        for _ in range(6)
    ]
    for process in processes:
        process.start()
    kids = [results.get(timeout=30) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert len(set(kids)) == 1
    assert [k.kid for k in KeyStore(directory).keys()] == kids[:1]
    assert [p.name for p in directory.iterdir()] == [ACTIVE_KEY_FILE]


def test_a_process_that_loses_the_creation_race_adopts_the_winners_key(tmp_path: Path) -> None:
    winner = KeyStore(tmp_path).ensure_key()
    loser = KeyStore(tmp_path)
    # As if the loser had found no file, generated its own key, and then tried to link it.
    adopted = loser._create(tmp_path / ACTIVE_KEY_FILE)
    assert adopted.kid == winner.kid
    assert [p.name for p in tmp_path.iterdir()] == [ACTIVE_KEY_FILE]


# -- the token ----------------------------------------------------------------------------


def test_the_payload_is_compact_utf8_in_the_fixed_key_order(claims: CertificateClaims) -> None:
    expected = (
        '{"v":1,"n":"7K3M9XQ2V8B4R6T1W","f":"'
        + KAZAKH_NAME
        + '","t":"'
        + KAZAKH_TITLE
        + '","c":5,"d":"2025-06-30"}'
    ).encode("utf-8")
    assert claims.payload_bytes() == expected


def test_a_token_verifies_with_jwcrypto_against_the_published_jwk(
    key: SigningKey, claims: CertificateClaims, token: str
) -> None:
    verifier = jwcrypto_jws.JWS()
    verifier.deserialize(token)
    verifier.allowed_algs = ["Ed25519"]
    verifier.verify(jwcrypto_jwk.JWK(**key.public_jwk))
    assert verifier.payload == claims.payload_bytes()
    assert verifier.jose_header == {"alg": "Ed25519", "kid": key.kid}


def test_the_token_header_is_exactly_alg_and_kid(key: SigningKey, token: str) -> None:
    header_segment, _, signature_segment = token.split(".")
    assert b64url_decode(header_segment) == (b'{"alg":"Ed25519","kid":"' + key.kid.encode() + b'"}')
    assert len(b64url_decode(signature_segment)) == 64


def test_verify_token_round_trips_kazakh_text(
    key: SigningKey, jwks: dict[str, Any], claims: CertificateClaims, token: str
) -> None:
    assert verify_token(token, jwks) == (claims, key.kid)


def test_a_tampered_payload_is_invalid(
    key: SigningKey, jwks: dict[str, Any], claims: CertificateClaims, token: str
) -> None:
    header, _, signature = token.split(".")
    other = CertificateClaims(
        claims.number, "Бөтен Адам", claims.course_title, 60, claims.issued_on
    )
    with pytest.raises(InvalidToken):
        verify_token(f"{header}.{b64url(other.payload_bytes())}.{signature}", jwks)


def test_a_tampered_signature_is_invalid(jwks: dict[str, Any], token: str) -> None:
    header, payload, signature = token.split(".")
    flipped = bytearray(b64url_decode(signature))
    flipped[10] ^= 0x01
    with pytest.raises(InvalidToken):
        verify_token(f"{header}.{payload}.{b64url(bytes(flipped))}", jwks)


def test_a_token_from_an_unknown_key_is_invalid(
    jwks: dict[str, Any], claims: CertificateClaims
) -> None:
    stranger = SigningKey.from_private_key(Ed25519PrivateKey.generate())
    with pytest.raises(InvalidToken, match="unknown key"):
        verify_token(sign_certificate(stranger, claims), jwks)


def test_a_different_key_published_under_our_kid_does_not_verify(
    key: SigningKey, claims: CertificateClaims, token: str
) -> None:
    impostor = SigningKey.from_private_key(Ed25519PrivateKey.generate())
    with pytest.raises(InvalidToken):
        verify_token(token, {"keys": [{**impostor.public_jwk, "kid": key.kid}]})


def test_alg_none_is_invalid(
    key: SigningKey, jwks: dict[str, Any], claims: CertificateClaims
) -> None:
    header = b64url(json.dumps({"alg": "none", "kid": key.kid}).encode())
    payload = b64url(claims.payload_bytes())
    for token in (f"{header}.{payload}.", f"{header}.{payload}.AAAA"):
        with pytest.raises(InvalidToken):
            verify_token(token, jwks)


def test_hs256_with_the_public_key_as_hmac_secret_is_invalid(
    key: SigningKey, jwks: dict[str, Any], claims: CertificateClaims
) -> None:
    raw_public = b64url_decode(key.public_jwk["x"])
    for secret in (raw_public, key.public_jwk["x"].encode(), key.public_pem()):
        forged = forge(
            {"alg": "HS256", "kid": key.kid},
            claims.payload_bytes(),
            lambda message, secret=secret: hmac.new(secret, message, hashlib.sha256).digest(),
        )
        with pytest.raises(InvalidToken):
            verify_token(forged, jwks)


def test_a_genuine_signature_under_the_polymorphic_eddsa_name_is_invalid(
    key: SigningKey, jwks: dict[str, Any], claims: CertificateClaims
) -> None:
    forged = forge({"alg": "EdDSA", "kid": key.kid}, claims.payload_bytes(), key.private_key.sign)
    with pytest.raises(InvalidToken):
        verify_token(forged, jwks)


@pytest.mark.parametrize(
    "header_extra", [{"typ": "JWT"}, {"crit": ["b64"], "b64": False}, {"jku": "http://evil/"}]
)
def test_a_header_with_more_than_alg_and_kid_is_invalid(
    key: SigningKey, jwks: dict[str, Any], claims: CertificateClaims, header_extra: dict[str, Any]
) -> None:
    header = {"alg": "Ed25519", "kid": key.kid, **header_extra}
    forged = forge(header, claims.payload_bytes(), key.private_key.sign)
    with pytest.raises(InvalidToken):
        verify_token(forged, jwks)


@pytest.mark.parametrize(
    "payload",
    [
        {"v": 2, "n": "X", "f": "A", "t": "T", "c": 5, "d": "2025-06-30"},
        {"v": True, "n": "X", "f": "A", "t": "T", "c": 5, "d": "2025-06-30"},
        {"v": 1, "n": "X", "f": "A", "t": "T", "c": "5", "d": "2025-06-30"},
        {"v": 1, "n": "X", "f": "A", "t": "T", "c": True, "d": "2025-06-30"},
        {"v": 1, "n": "X", "f": "A", "t": "T", "c": -1, "d": "2025-06-30"},
        {"v": 1, "n": "X", "f": "", "t": "T", "c": 5, "d": "2025-06-30"},
        {"v": 1, "n": 7, "f": "A", "t": "T", "c": 5, "d": "2025-06-30"},
        {"v": 1, "n": "X", "f": "A", "t": "T", "c": 5, "d": "20250630"},
        {"v": 1, "n": "X", "f": "A", "t": "T", "c": 5, "d": "2025-02-30"},
        {"v": 1, "n": "X", "f": "A", "t": "T", "c": 5, "d": "2025-W01-1"},
        {"v": 1, "n": "X", "f": "A", "t": "T", "c": 5},
        {"v": 1, "n": "X", "f": "A", "t": "T", "c": 5, "d": "2025-06-30", "u": "extra"},
    ],
)
def test_from_payload_refuses_anything_but_a_well_formed_v1_payload(payload: Any) -> None:
    with pytest.raises(InvalidToken):
        CertificateClaims.from_payload(payload)


def test_a_well_signed_but_non_canonical_payload_is_invalid(
    key: SigningKey, jwks: dict[str, Any], claims: CertificateClaims
) -> None:
    spaced = json.dumps(json.loads(claims.payload_bytes()), ensure_ascii=False).encode()
    escaped = json.dumps(json.loads(claims.payload_bytes()), separators=(",", ":")).encode()
    for payload in (spaced, escaped):
        forged = forge({"alg": "Ed25519", "kid": key.kid}, payload, key.private_key.sign)
        with pytest.raises(InvalidToken, match="canonical"):
            verify_token(forged, jwks)


@pytest.mark.parametrize(
    "jwks",
    [{}, {"keys": None}, {"keys": [None, 3, "x"]}, [], None, {"keys": [{"kid": "whatever"}]}],
)
def test_a_malformed_key_set_makes_the_token_invalid_not_an_error(jwks: Any, token: str) -> None:
    with pytest.raises(InvalidToken):
        verify_token(token, jwks)


def test_a_key_set_entry_with_a_bad_public_value_makes_the_token_invalid(
    key: SigningKey, token: str
) -> None:
    for x in ("", "AAAA", 42, "!" * 43, key.public_jwk["x"][:-2]):
        with pytest.raises(InvalidToken):
            verify_token(token, {"keys": [{**key.public_jwk, "x": x}]})


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.text())
def test_arbitrary_text_is_invalid(jwks: dict[str, Any], garbage: str) -> None:
    with pytest.raises(InvalidToken):
        verify_token(garbage, jwks)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    segments=st.lists(
        st.one_of(st.text(alphabet=B64URL_ALPHABET), st.text(alphabet=B64URL_ALPHABET + "=.+/")),
        min_size=1,
        max_size=5,
    )
)
def test_arbitrary_base64ish_segments_are_invalid(
    jwks: dict[str, Any], segments: list[str]
) -> None:
    with pytest.raises(InvalidToken):
        verify_token(".".join(segments), jwks)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_one_character_change_to_a_token_makes_it_invalid(
    jwks: dict[str, Any], token: str, data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    replacement = data.draw(
        st.sampled_from(B64URL_ALPHABET + ".=~ ").filter(lambda c: c != token[index])
    )
    with pytest.raises(InvalidToken):
        verify_token(token[:index] + replacement + token[index + 1 :], jwks)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=10,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.one_of(
        JSON_VALUES,
        st.fixed_dictionaries(
            {
                "v": JSON_VALUES,
                "n": JSON_VALUES,
                "f": JSON_VALUES,
                "t": JSON_VALUES,
                "c": JSON_VALUES,
                "d": JSON_VALUES,
            }
        ),
    )
)
def test_any_well_signed_json_payload_either_parses_or_is_invalid(
    key: SigningKey, jwks: dict[str, Any], payload: Any
) -> None:
    forged = forge(
        {"alg": "Ed25519", "kid": key.kid},
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(),
        key.private_key.sign,
    )
    try:
        claims, _ = verify_token(forged, jwks)
    except InvalidToken:
        return
    assert isinstance(claims, CertificateClaims)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    full_name=st.text(min_size=1).filter(str.strip),
    course_title=st.text(min_size=1).filter(str.strip),
    credits=st.integers(min_value=0, max_value=10_000),
    issued_on=st.dates(),
)
def test_any_valid_claims_round_trip(
    key: SigningKey,
    jwks: dict[str, Any],
    full_name: str,
    course_title: str,
    credits: int,
    issued_on: datetime.date,
) -> None:
    claims = CertificateClaims("N", full_name, course_title, credits, issued_on)
    assert verify_token(sign_certificate(key, claims), jwks) == (claims, key.kid)


def test_joserfc_refuses_the_token_without_the_explicit_algorithm_list(
    key: SigningKey, token: str
) -> None:
    # Why sign/verify pass algorithms=["Ed25519"]: joserfc registers it, but not as recommended.
    with pytest.raises(Exception, match="not recommended"):
        joserfc_jws.deserialize_compact(token, OKPKey.import_key(key.public_jwk))


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_verifies_the_token_signature(key: SigningKey, token: str, tmp_path: Path) -> None:
    header, payload, signature = token.split(".")
    (tmp_path / "input").write_bytes(f"{header}.{payload}".encode("ascii"))
    (tmp_path / "tampered").write_bytes(f"{header}.{payload}x".encode("ascii"))
    (tmp_path / "signature").write_bytes(b64url_decode(signature))
    (tmp_path / "public.pem").write_bytes(key.public_pem())

    def openssl_verify(message: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [
                "openssl",
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                "public.pem",
                "-rawin",
                "-in",
                message,
                "-sigfile",
                "signature",
            ],
            cwd=tmp_path,
            capture_output=True,
            check=False,
        )

    verified = openssl_verify("input")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert b"Signature Verified Successfully" in verified.stdout
    assert openssl_verify("tampered").returncode != 0


# -- the QR code --------------------------------------------------------------------------


def test_the_qr_png_decodes_to_exactly_the_verification_url(token: str) -> None:
    from PIL import Image
    from pyzbar import pyzbar  # type: ignore[import-untyped]

    url = f"{PUBLIC_URL}/v#{token}"
    decoded = pyzbar.decode(Image.open(io.BytesIO(qr_png(url))))
    assert [symbol.data.decode("utf-8") for symbol in decoded] == [url]
    assert decoded[0].type == "QRCODE"


def test_the_qr_uses_error_correction_m_and_the_smallest_version(token: str) -> None:
    url = f"{PUBLIC_URL}/v#{token}"
    qr = make_qr(url)
    assert qr.error_correction == qrcode.constants.ERROR_CORRECT_M
    assert qr.version == qr_version(url)
    smaller = qrcode.QRCode(
        version=qr.version - 1, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    smaller.add_data(url)
    with pytest.raises(qrcode.exceptions.DataOverflowError):
        smaller.make(fit=False)


def test_the_png_has_the_requested_box_size_and_border(token: str) -> None:
    from PIL import Image

    url = f"{PUBLIC_URL}/v#{token}"
    modules = 17 + 4 * qr_version(url)
    image = Image.open(io.BytesIO(qr_png(url, box_size=3, border=2)))
    assert image.size == ((modules + 4) * 3, (modules + 4) * 3)


def test_the_qr_svg_is_xml_with_a_viewbox_and_a_print_size(token: str) -> None:
    url = f"{PUBLIC_URL}/v#{token}"
    root = ET.fromstring(qr_svg(url))
    modules = 17 + 4 * qr_version(url) + 8
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == f"0 0 {modules} {modules}"
    width = float(root.get("width", "").removesuffix("mm"))
    assert root.get("height") == root.get("width")
    assert width * (modules - 8) / modules >= 50  # the symbol prints at least 5 cm wide
    assert width / modules >= 0.5  # and no module is smaller than 0.5 mm


def test_the_qr_svg_draws_the_same_modules_as_the_png(token: str) -> None:
    from PIL import Image, ImageDraw
    from pyzbar import pyzbar

    url = f"{PUBLIC_URL}/v#{token}"
    root = ET.fromstring(qr_svg(url, width_mm=30))
    assert root.get("width") == "30mm"
    size = int(root.get("viewBox", "").split()[2])
    # Rasterise the path's rectangles (every one is "Mx,yhNv1h-Nz") and scan the result.
    image = Image.new("L", (size * 4, size * 4), 255)
    draw = ImageDraw.Draw(image)
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    for command in path.get("d", "").split("z")[:-1]:
        position, run = command[1:].split("h", 1)
        x, y = map(int, position.split(","))
        length = int(run.split("v")[0])
        draw.rectangle((x * 4, y * 4, (x + length) * 4 - 1, (y + 1) * 4 - 1), fill=0)
    assert [symbol.data.decode() for symbol in pyzbar.decode(image)] == [url]


@pytest.mark.parametrize(
    ("name_length", "title_length", "max_version"), [(40, 60, 18), (60, 120, 22)]
)
def test_long_kazakh_names_fit_the_size_budget(
    key: SigningKey, name_length: int, title_length: int, max_version: int
) -> None:
    # SPEC §5: with a public URL of up to 40 characters; every letter a two-byte Cyrillic one.
    public_url = "https://registry.university.example.kz"
    public_url += "/" * (40 - len(public_url))
    claims = CertificateClaims(
        number="7K3M9XQ2V8B4R6T1W",
        full_name=("ҚұрмановаӘлия" * 10)[:name_length],
        course_title=("ҰлттықөңдеуҺі" * 20)[:title_length],
        credits=240,
        issued_on=datetime.date(2025, 12, 31),
    )
    assert qr_version(f"{public_url}/v#{sign_certificate(key, claims)}") <= max_version


@settings(max_examples=500)
@given(text=st.text(), credits=st.integers(min_value=0, max_value=2**70))
def test_the_payload_is_the_standard_librarys_canonical_json(text: str, credits: int) -> None:
    # payload_bytes writes with orjson where it can: the bytes signed and checked must be the
    # standard library's compact form, escapes and all (control characters, quotes, U+2028)
    fields = {"v": 1, "n": f"N{text}", "f": f"F{text}", "t": f"T{text}", "c": credits,
              "d": "2026-06-30"}
    try:
        expected = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 payload can hold it
        return
    claims = CertificateClaims(f"N{text}", f"F{text}", f"T{text}", credits,
                               datetime.date(2026, 6, 30))
    assert claims.payload_bytes() == expected


def test_a_well_signed_payload_that_repeats_a_field_says_so(
    key: SigningKey, jwks: dict[str, Any], claims: CertificateClaims
) -> None:
    canonical = claims.payload_bytes()
    repeated = canonical[:-1] + b',"n":' + json.dumps(claims.number).encode() + b"}"
    forged = forge({"alg": "Ed25519", "kid": key.kid}, repeated, key.private_key.sign)
    with pytest.raises(InvalidToken, match="repeats a field"):
        verify_token(forged, jwks)


def test_a_refused_header_is_refused_every_time_and_a_good_one_still_verifies(
    key: SigningKey, jwks: dict[str, Any], claims: CertificateClaims, token: str
) -> None:
    # headers are checked once each and kept: a refusal must not be kept as an answer
    forged = forge({"alg": "HS256", "kid": key.kid}, claims.payload_bytes(), key.private_key.sign)
    for _ in range(3):
        with pytest.raises(InvalidToken, match="algorithm"):
            verify_token(forged, jwks)
        assert verify_token(token, jwks) == (claims, key.kid)
    other = SigningKey.from_private_key(Ed25519PrivateKey.generate())
    with pytest.raises(InvalidToken, match="unknown key"):  # a kept header, an unknown key
        verify_token(sign_certificate(other, claims), jwks)
    assert verify_token(sign_certificate(other, claims), {"keys": [other.public_jwk]})[1] \
        == other.kid
