"""Golden vectors (tests/vectors/golden): a fixed test key, its token and its QR image.

The token must verify with JOSE libraries other than the signer's (jwcrypto; JavaScript
`jose` ≥ 6) and with `openssl pkeyutl -verify -rawin`; forgeries must fail in all of them."""

from __future__ import annotations

import base64
import datetime
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from registry.signing import CertificateClaims, SigningKey, qr_version, sign_certificate
from registry.signing.tokens import InvalidToken, verify_token

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "vectors" / "golden"
JS = ROOT / "tests" / "js"
TOKEN = (GOLDEN / "token.txt").read_text().strip()
JWKS = json.loads((GOLDEN / "jwks.json").read_text())


def golden_key() -> SigningKey:
    private = load_pem_private_key((GOLDEN / "test-key.pem").read_bytes(), password=None)
    return SigningKey.from_private_key(private)  # type: ignore[arg-type]


def golden_claims() -> CertificateClaims:
    data = json.loads((GOLDEN / "claims.json").read_text(encoding="utf-8"))
    return CertificateClaims(number=data["number"], full_name=data["full_name"],
                             course_title=data["course_title"], credits=data["credits"],
                             issued_on=datetime.date.fromisoformat(data["issued_on"]))


def forged(token: str) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["f"] = "Someone Else"
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return f"{header}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{signature}"


def test_signing_the_golden_claims_gives_the_golden_token() -> None:
    assert sign_certificate(golden_key(), golden_claims()) == TOKEN


def test_the_golden_token_verifies_and_a_forgery_does_not() -> None:
    claims, kid = verify_token(TOKEN, JWKS)
    assert claims == golden_claims() and kid == golden_key().kid
    with pytest.raises(InvalidToken):
        verify_token(forged(TOKEN), JWKS)


def test_the_golden_qr_decodes_to_the_golden_url() -> None:
    from PIL import Image
    from pyzbar.pyzbar import decode

    url = (GOLDEN / "url.txt").read_text().strip()
    assert [d.data.decode() for d in decode(Image.open(GOLDEN / "qr.png"))] == [url]
    assert url.endswith("#" + TOKEN)
    assert qr_version(url) <= 18


def test_jwcrypto_agrees() -> None:
    from jwcrypto import jwk, jws

    key = jwk.JWK(**{k: v for k, v in JWKS["keys"][0].items()
                     if k in ("kty", "crv", "x", "kid", "alg", "use")})
    for token, genuine in ((TOKEN, True), (forged(TOKEN), False)):
        verifier = jws.JWS()
        verifier.deserialize(token)
        if genuine:
            verifier.verify(key, alg="Ed25519")
        else:
            with pytest.raises(jws.InvalidJWSSignature):
                verifier.verify(key, alg="Ed25519")


def test_javascript_jose_agrees() -> None:
    node = shutil.which("node")
    if node is None or not (JS / "node_modules" / "jose").exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true: node and tests/js/node_modules (npm install) are required")
        pytest.skip("node or tests/js/node_modules missing: run `npm install --prefix tests/js`")
    jwks_file = str(GOLDEN / "jwks.json")
    good = subprocess.run([node, str(JS / "verify.mjs"), jwks_file, TOKEN],
                          capture_output=True, text=True, check=False)
    assert good.returncode == 0, good.stderr
    assert json.loads(json.loads(good.stdout)["payload"])["f"] == golden_claims().full_name
    bad = subprocess.run([node, str(JS / "verify.mjs"), jwks_file, forged(TOKEN)],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 1


def test_openssl_agrees(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    (tmp_path / "pub.pem").write_bytes(golden_key().public_pem())
    for token, expected in ((TOKEN, 0), (forged(TOKEN), 1)):
        header, payload, signature = token.split(".")
        (tmp_path / "input").write_bytes(f"{header}.{payload}".encode())
        (tmp_path / "sig").write_bytes(base64.urlsafe_b64decode(signature + "=="))
        result = subprocess.run(
            [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.pem"),
             "-rawin", "-in", str(tmp_path / "input"), "-sigfile", str(tmp_path / "sig")],
            capture_output=True, check=False)
        assert result.returncode == expected, result.stderr
