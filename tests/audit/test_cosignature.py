"""C2SP tlog-cosignature v1 and the signed-note parsing it rests on, against the vectors of
golang.org/x/mod/sumdb/note, transparency-dev/formats (with torchwood's ML-DSA-44 signature)
and the C2SP specifications' own examples (tests/vectors/signed-note/)."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.mldsa import (
    MLDSA44PrivateKey,
    MLDSA44PublicKey,
)

from registry.audit.cosignature import (
    ML_DSA_44,
    CosignatureError,
    WitnessSigner,
    WitnessVerifier,
    cosign,
    cosignature_timestamp,
    signed_message,
    split_note,
    subtree_message,
    verify_cosignatures,
)
from registry.audit.note import EM_DASH, Checkpoint, NoteError, Signer

VECTORS = Path(__file__).parents[1] / "vectors" / "signed-note"


def _vectors(name: str) -> Any:
    return json.loads((VECTORS / name).read_text())


GO = _vectors("go_sumdb_note.json")
TD = _vectors("transparency_dev.json")
C2SP = _vectors("c2sp.json")
BODY = Checkpoint("registry.example.kz/log", 42, bytes(range(32))).body()


# -- signed-note parsing (Go's sumdb/note vectors) -------------------------------------------


def test_go_signed_note_splits_into_its_text_and_signatures() -> None:
    body, signatures = split_note(GO["text"] + "\n" + GO["peter_sig"] + GO["enoch_sig"])
    assert body == GO["text"]
    assert [(name, raw[:4].hex()) for name, raw in signatures] == [
        ("PeterNeumann", "c74f20a3"), ("EnochRoot", "af0cfe78")]


def test_go_malformed_notes_are_refused() -> None:
    for text in GO["malformed"]:
        with pytest.raises(NoteError):
            split_note(text)


def test_go_type_0x01_keys_are_not_witness_keys() -> None:
    for vkey in [GO["peter_vkey"], GO["enoch_vkey"], *GO["bad_vkeys"]]:
        with pytest.raises(CosignatureError):
            WitnessVerifier.parse(vkey)


def test_a_witness_on_peters_seed_cosigns_beside_peters_own_note_signature() -> None:
    """transparency-dev's NewSignerForCosignatureV1 reuses a 0x01 seed as a 0x04 cosigner:
    the two keys share a name but not a key ID, and each line is checked by its own rule."""
    seed = base64.b64decode(GO["peter_skey"].split("+", 4)[4])[1:]
    log = Signer.parse(GO["peter_skey"])
    witness = WitnessSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))
    assert witness.verifier.key_id != log.verifier.key_id
    assert log.verifier.vkey == GO["peter_vkey"]
    body = Checkpoint("PeterNeumann", 7, bytes(32)).body()
    note = log.sign(body) + cosign(body, witness, 1_700_000_000)
    assert verify_cosignatures(note, [witness.verifier]) == {"PeterNeumann": 1_700_000_000}


# -- keys and timestamps (transparency-dev/formats vectors) ----------------------------------


def test_a_native_type_0x04_vkey_parses_and_round_trips() -> None:
    verifier = WitnessVerifier.parse(TD["native_vkey"])
    assert (verifier.name, verifier.key_id.hex()) == ("remora.n621.de", "da77ade7")
    assert verifier.vkey == TD["native_vkey"]


def test_malformed_witness_vkeys_are_refused() -> None:
    native = TD["native_vkey"]
    for vkey in [*TD["bad_vkeys"], native.replace("da77ade7", "00000000"),
                 native.replace("remora", "remorb"), native[:-4], "x"]:
        with pytest.raises(CosignatureError):
            WitnessVerifier.parse(vkey)


def test_the_timestamp_of_a_cosignature_is_read_big_endian() -> None:
    payload = base64.b64decode(TD["timestamped_signature"])
    assert cosignature_timestamp(payload) == TD["timestamp"]
    with pytest.raises(CosignatureError):
        cosignature_timestamp(base64.b64decode(TD["not_a_cosignature"]))


def test_torchwoods_ml_dsa_44_subtree_cosignature_verifies_with_our_message() -> None:
    vkey, line = (VECTORS / "torchwood_mldsa.txt").read_text().splitlines()
    verifier = WitnessVerifier.parse(vkey)
    assert verifier.algorithm == ML_DSA_44
    name, encoded = line.split(" ")[1:]
    payload = base64.b64decode(encoded)
    assert name == verifier.name and payload[:4] == verifier.key_id
    subtree = TD["mldsa_subtree"]
    message = subtree_message(name, cosignature_timestamp(payload), subtree["origin"],
                              subtree["start"], subtree["end"],
                              base64.b64decode(subtree["root"]))
    MLDSA44PublicKey.from_public_bytes(verifier.public_key).verify(payload[12:], message)


# -- the C2SP examples ----------------------------------------------------------------------


def test_c2sp_cosigned_checkpoint_signs_the_spec_message() -> None:
    body, signatures = split_note(C2SP["cosigned_note"])
    Checkpoint.parse(body)
    (log_name, _), (witness_name, payload) = signatures
    assert (log_name, witness_name) == ("example.com/behind-the-sofa", "witness.example.com/w1")
    timestamp = cosignature_timestamp(payload)
    assert timestamp == C2SP["cosignature_timestamp"]
    assert signed_message(body, timestamp).decode() == C2SP["signed_message"]


def test_c2sp_witness_response_lines_are_signature_lines() -> None:
    body, signatures = split_note(BODY + "\n" + C2SP["witness_response"])
    assert body == BODY
    assert [name for name, _ in signatures] == ["witness.example/w1"] * 2 + ["witness.example/w2"]


def test_unknown_cosigners_are_ignored() -> None:
    stranger = WitnessSigner.generate("witness.example/stranger").verifier
    assert verify_cosignatures(C2SP["cosigned_note"], [stranger]) == {}


# -- our own cosigner -----------------------------------------------------------------------


def test_cosign_then_verify_returns_each_witness_and_its_time() -> None:
    log = Signer.generate("registry.example.kz/log")
    first, second = WitnessSigner.generate("a.example/w"), WitnessSigner.generate("b.example/w")
    note = log.sign(BODY) + cosign(BODY, first, 1_000) + cosign(BODY, second, 2_000)
    assert verify_cosignatures(note, [first.verifier, second.verifier]) == {
        "a.example/w": 1_000, "b.example/w": 2_000}
    assert verify_cosignatures(note, [second.verifier]) == {"b.example/w": 2_000}
    line = cosign(BODY, first, 1_000)
    payload = base64.b64decode(line.split(" ")[2])
    assert line.startswith(f"{EM_DASH} a.example/w ") and len(payload) == 4 + 8 + 64
    assert struct.unpack(">Q", payload[4:12]) == (1_000,)


def test_a_known_witness_whose_signature_fails_is_an_error() -> None:
    log = Signer.generate("registry.example.kz/log")
    witness = WitnessSigner.generate("a.example/w")
    other = Checkpoint("registry.example.kz/log", 43, bytes(32)).body()
    forged = log.sign(BODY) + cosign(other, witness, 5)  # a cosignature of another checkpoint
    with pytest.raises(CosignatureError, match="does not verify"):
        verify_cosignatures(forged, [witness.verifier])


def test_the_cosigner_key_file_round_trips_and_checks_its_id() -> None:
    signer = WitnessSigner.generate("registry.example.kz/witness")
    skey = signer.skey()
    assert skey.startswith("PRIVATE+KEY+registry.example.kz/witness+")
    assert base64.b64decode(skey.split("+", 4)[4])[0] == 0x04
    assert WitnessSigner.parse(skey).verifier == signer.verifier
    assert WitnessVerifier.parse(signer.verifier.vkey) == signer.verifier
    with pytest.raises(CosignatureError):
        WitnessSigner.parse(skey.replace("+registry.", "+registri."))
    with pytest.raises(CosignatureError):
        WitnessSigner.parse(Signer.generate("x").skey())  # a 0x01 note key


def test_only_checkpoints_and_valid_times_are_cosigned() -> None:
    signer = WitnessSigner.generate("a.example/w")
    with pytest.raises(NoteError):
        cosign("not a checkpoint\n", signer, 1)
    for timestamp in (-1, 2**63):
        with pytest.raises(CosignatureError):
            cosign(BODY, signer, timestamp)


def test_an_ml_dsa_44_cosignature_of_a_checkpoint_verifies() -> None:
    key = MLDSA44PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    verifier = WitnessVerifier("pq.example/w", public, ML_DSA_44)
    checkpoint = Checkpoint.parse(BODY)
    signature = key.sign(subtree_message(verifier.name, 77, checkpoint.origin, 0,
                                         checkpoint.size, checkpoint.root))
    payload = verifier.key_id + struct.pack(">Q", 77) + signature
    note = (Signer.generate("registry.example.kz/log").sign(BODY)
            + f"{EM_DASH} pq.example/w {base64.b64encode(payload).decode()}\n")
    assert verify_cosignatures(note, [WitnessVerifier.parse(verifier.vkey)]) == {
        "pq.example/w": 77}
