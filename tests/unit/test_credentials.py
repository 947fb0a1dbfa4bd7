"""Open Badges credentials, did:web and status lists (SPEC §11): the Python side of the proof,
and Digital Bazaar's JavaScript verifier agreeing with it."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.domain.certificates import CertificateFacts
from registry.domain.status import LIST_SIZE
from registry.signing.credentials import (
    Issuer,
    bit,
    decode_list,
    did_document,
    did_web_document_url,
    encode_list,
    open_badge,
    status_list_credential,
)
from registry.signing.dataintegrity import (
    InvalidProof,
    base58btc_decode,
    multikey,
    public_key_from_multikey,
    sign_document,
    verify_document,
)
from registry.signing.jsonld import UnsafeDocument, canonicalize
from registry.signing.keys import SigningKey

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "vc-di-eddsa"
JS = ROOT / "tests" / "js"
EXAMPLES = {"https://www.w3.org/ns/credentials/examples/v2":
            json.loads((VECTORS / "examples-v2.jsonld").read_text())}
ISSUER = Issuer("http://127.0.0.1:8000", {"kk": "Әл-Фараби атындағы ҚазҰУ",
                                          "ru": "КазНУ имени аль-Фараби",
                                          "en": "Al-Farabi Kazakh National University"})
KEY = SigningKey.from_private_key(Ed25519PrivateKey.generate())


URL = "http://127.0.0.1:8000/v#token"


def facts(**changes: Any) -> CertificateFacts:
    values: dict[str, Any] = {
        "number": "0123456789ABCDEFG", "full_name": "Айгерім Сәтбаева",
        "course_title": "Қазақ әдебиеті", "mooc_code": "KAZLIT-101", "credits": 5,
        "issued_on": datetime.date(2025, 1, 15), "status_list": 1,
        "status_index": 4242} | changes
    return CertificateFacts(**values)


def vector() -> tuple[dict[str, Any], dict[str, str]]:
    return (json.loads((VECTORS / "signedDataInt.json").read_text()),
            json.loads((VECTORS / "keyPair.json").read_text()))


def test_the_w3c_eddsa_rdfc_2022_vector_verifies() -> None:
    signed, pair = vector()
    proof = verify_document(signed, public_key_from_multikey(pair["publicKeyMultibase"]),
                            extra=EXAMPLES)
    assert proof["created"] == "2023-02-24T23:36:38Z"


def test_signing_the_w3c_vector_gives_its_proof_value_byte_for_byte() -> None:
    signed, pair = vector()
    private = base58btc_decode(pair["privateKeyMultibase"][1:])
    assert private[:2] == b"\x80\x26"  # multicodec ed25519-priv
    key = Ed25519PrivateKey.from_private_bytes(private[2:])
    assert multikey(key.public_key()) == pair["publicKeyMultibase"]
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    again = sign_document(unsigned, key, verification_method=signed["proof"]["verificationMethod"],
                          created=signed["proof"]["created"], extra=EXAMPLES)
    assert again["proof"] == signed["proof"]


def test_a_changed_field_of_the_w3c_vector_does_not_verify() -> None:
    signed, pair = vector()
    signed["credentialSubject"]["alumniOf"] = "Another School"
    with pytest.raises(InvalidProof):
        verify_document(signed, public_key_from_multikey(pair["publicKeyMultibase"]),
                        extra=EXAMPLES)


def test_a_credential_verifies_and_says_what_the_certificate_says() -> None:
    credential = open_badge(ISSUER, facts(), URL, KEY)
    assert verify_document(credential, KEY.public_key)["verificationMethod"] == (
        f"did:web:127.0.0.1%3A8000#{KEY.kid}")
    assert credential["issuer"]["id"] == "did:web:127.0.0.1%3A8000"
    subject = credential["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == "Айгерім Сәтбаева"
    assert subject["achievement"]["name"] == "Қазақ әдебиеті"
    assert subject["creditsEarned"] == 5
    assert credential["validFrom"] == "2025-01-15T00:00:00+05:00"
    assert credential["credentialStatus"]["statusListIndex"] == "4242"


@pytest.mark.parametrize("path, value", [
    (("credentialSubject", "identifier", 0, "identityHash"), "Someone Else"),
    (("credentialSubject", "creditsEarned"), 50),
    (("credentialSubject", "achievement", "name"), "Another course"),
    (("validFrom",), "2020-01-15T00:00:00+05:00"),
    (("credentialStatus", "statusListIndex"), "1"),
    (("issuer", "name"), "Another University"),
])
def test_each_changed_field_makes_the_credential_fail(path: tuple[Any, ...], value: Any) -> None:
    credential = open_badge(ISSUER, facts(), URL, KEY)
    target: Any = credential
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(InvalidProof):
        verify_document(credential, KEY.public_key)


def test_another_key_does_not_verify_the_credential() -> None:
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(InvalidProof):
        verify_document(open_badge(ISSUER, facts(), URL, KEY), other)


def test_an_undefined_term_is_refused_rather_than_silently_dropped() -> None:
    credential = open_badge(ISSUER, facts(), URL, KEY)
    credential["credentialSubject"]["favouriteColour"] = "blue"
    with pytest.raises(UnsafeDocument, match="favouriteColour"):
        canonicalize(credential)


def test_a_relative_identifier_is_refused() -> None:
    with pytest.raises(UnsafeDocument, match="absolute"):
        canonicalize({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "cert/1",
                      "type": ["VerifiableCredential"]})


def test_no_context_is_fetched_from_the_network() -> None:
    with pytest.raises(UnsafeDocument, match="not shipped"):
        canonicalize({"@context": "https://example.org/context.jsonld", "name": "x"})


@pytest.mark.parametrize("url, did", [
    ("https://registry.kaznu.kz", "did:web:registry.kaznu.kz"),
    ("http://127.0.0.1:8000", "did:web:127.0.0.1%3A8000"),
    ("https://kaznu.kz/registry", "did:web:kaznu.kz:registry"),
])
def test_the_issuer_did_is_did_web_of_the_public_url(url: str, did: str) -> None:
    assert Issuer(url, {"en": "U"}).did == did


def test_the_did_document_lists_every_key_as_a_multikey_in_assertion_method() -> None:
    retired = SigningKey.from_private_key(Ed25519PrivateKey.generate())
    document = did_document(ISSUER, [retired.public_jwk, KEY.public_jwk])
    assert document["id"] == "did:web:127.0.0.1%3A8000"
    assert document["assertionMethod"] == [f"{document['id']}#{retired.kid}",
                                           f"{document['id']}#{KEY.kid}"]
    for method, key in zip(document["verificationMethod"], (retired, KEY), strict=True):
        assert method["controller"] == document["id"]
        assert method["publicKeyMultibase"].startswith("z6Mk")
        assert public_key_from_multikey(method["publicKeyMultibase"]).public_bytes_raw() == (
            key.public_key.public_bytes_raw())
    canonicalize(document)  # every term defined (DID v1 + Multikey contexts)


def test_a_status_list_sets_exactly_the_bits_it_is_given() -> None:
    encoded = encode_list([0, 7, 4242, LIST_SIZE - 1])
    bits = decode_list(encoded)
    assert len(bits) * 8 == LIST_SIZE
    assert [i for i in range(LIST_SIZE) if bit(bits, i)] == [0, 7, 4242, LIST_SIZE - 1]
    assert bits[0] == 0b1000_0001  # index 0 is the first byte's most significant bit


def test_a_status_list_credential_is_signed_like_the_credentials() -> None:
    listed = status_list_credential(ISSUER, 1, [3], KEY)
    verify_document(listed, KEY.public_key)
    subject = listed["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    assert listed["id"] == "http://127.0.0.1:8000/status/lists/1"


# -- Digital Bazaar's verifier (@digitalbazaar/vc + eddsa-rdfc-2022), offline ------------------

def node_with(package: str) -> str:
    """node, with ``package`` installed in tests/js (skipped without them; CI requires them)."""
    node = shutil.which("node")
    if node is None or not (JS / "node_modules" / package).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true: node and tests/js/node_modules (npm install) are required")
        pytest.skip("node or tests/js/node_modules missing: run `npm install --prefix tests/js`")
    return node


def node_verify(tmp_path: Path, credential: dict[str, Any], did: dict[str, Any],
                status: dict[str, Any] | None = None) -> dict[str, Any]:
    node = node_with("@digitalbazaar/vc")
    files = []
    for name, document in (("credential", credential), ("did", did), ("status", status)):
        if document is not None:
            path = tmp_path / f"{name}.json"
            path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
            files.append(str(path))
    run = subprocess.run([node, str(JS / "verify-credential.mjs"), *files],
                         capture_output=True, text=True, check=True, timeout=60)
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def test_digital_bazaars_verifier_accepts_a_credential_and_rejects_a_changed_one(
        tmp_path: Path) -> None:
    credential = open_badge(ISSUER, facts(), URL, KEY)
    did = did_document(ISSUER, [KEY.public_jwk])
    assert node_verify(tmp_path, credential, did) == {
        "verified": True, "status": None, "error": None}
    credential["credentialSubject"]["identifier"][0]["identityHash"] = "Someone Else"
    assert node_verify(tmp_path, credential, did)["verified"] is False


def test_digital_bazaars_verifier_reads_the_revocation_bit(tmp_path: Path) -> None:
    credential = open_badge(ISSUER, facts(status_index=77), URL, KEY)
    did = did_document(ISSUER, [KEY.public_jwk])
    clear = status_list_credential(ISSUER, 1, [76, 78], KEY)
    assert node_verify(tmp_path, credential, did, clear)["status"] is False
    revoked = status_list_credential(ISSUER, 1, [77], KEY)
    assert node_verify(tmp_path, credential, did, revoked) == {
        "verified": True, "status": True, "error": None}


def _pyld_alone(document: dict[str, Any]) -> str:
    """pyld's own RDFC-1.0, with no memo: what :func:`canonicalize` must always equal."""
    from pyld import jsonld

    from registry.signing.jsonld import load_document

    nquads: str = jsonld.JsonLdProcessor().normalize(document, {
        "algorithm": "URDNA2015", "format": "application/n-quads", "base": None,
        "documentLoader": load_document})
    return nquads


@settings(max_examples=40, deadline=None)
@given(name=st.text(alphabet="АӘБҒҚҢӨҰҮІабвгдеәғқңөұүһі -'", min_size=1, max_size=30),
       title=st.text(min_size=1, max_size=40), credits=st.integers(1, 30),
       index=st.integers(0, LIST_SIZE - 1), day=st.dates())
def test_the_memoised_contexts_canonicalise_exactly_as_pyld_does(
        name: str, title: str, credits: int, index: int, day: datetime.date) -> None:
    """The processed-context memo (registry/signing/jsonld.py) is invisible: credentials
    after credentials, each canonicalises to pyld's own answer."""
    credential = open_badge(ISSUER, facts(full_name=name, course_title=title, credits=credits,
                                          status_index=index, issued_on=day), URL, KEY)
    unsigned = {key: value for key, value in credential.items() if key != "proof"}
    config = {"@context": credential["@context"],
              **{key: value for key, value in credential["proof"].items()
                 if key != "proofValue"}}
    assert canonicalize(unsigned) == _pyld_alone(unsigned)
    assert canonicalize(config) == _pyld_alone(config)
    verify_document(credential, KEY.public_key)


# -- did:web: where a resolver looks for the DID document (did:web §3.2, Read) ---------------

@pytest.mark.parametrize("did, url", [
    ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
    ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
    ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
    ("did:web:127.0.0.1%3A8000", "https://127.0.0.1:8000/.well-known/did.json"),
])
def test_a_did_web_names_its_documents_url_as_the_method_says(did: str, url: str) -> None:
    assert did_web_document_url(did) == url


@pytest.mark.parametrize("did", ["did:key:z6Mkabc", "did:web:", "did:web:host::path",
                                 "did:web:host#key-1", "https://host"])
def test_anything_but_a_did_web_has_no_document_url(did: str) -> None:
    with pytest.raises(ValueError, match="not a did:web"):
        did_web_document_url(did)


@pytest.mark.parametrize("public_url, path", [
    ("https://registry.kaznu.kz", "/.well-known/did.json"),
    ("http://127.0.0.1:8000", "/.well-known/did.json"),
    ("https://kaznu.kz/registry", "/did.json"),
    ("https://kaznu.kz:8443/det/registry", "/did.json"),
])
def test_the_registry_serves_its_document_where_its_did_says(public_url: str, path: str) -> None:
    """Both forms: the DID made from REGISTRY_PUBLIC_URL, read back by did:web's rule, names
    the public URL plus the path the registry serves the document at."""
    issuer = Issuer(public_url, {"en": "U"})
    assert issuer.did_document_path == path
    assert did_web_document_url(issuer.did) == (
        "https://" + public_url.split("://", 1)[1] + path)
