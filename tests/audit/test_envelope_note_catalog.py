"""Envelope canonicalisation (our fast path against rfc8785 itself), C2SP signed notes and
the event catalog's drift check."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from pathlib import Path

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.audit import catalog, envelope
from registry.audit.note import (
    EM_DASH,
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    load_or_create_signer,
    open_note,
    read_checkpoint,
)

EVENTS = Path(__file__).parents[2] / "events"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_our_canonical_bytes_are_rfc8785s(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except (UnicodeEncodeError, rfc8785.CanonicalizationError):
        return  # lone surrogates: refused by both
    assert envelope.canonical({"v": value}) == rfc8785.dumps({"v": value})
    line = rfc8785.dumps({"v": value})
    assert envelope.is_canonical(line, envelope.parse(line))
    assert expected


def test_keys_outside_the_bmp_sort_by_utf16_like_rfc8785() -> None:
    value = {"\U0001f600": 1, "\ufb01": 2, "a": 3}
    assert envelope.canonical(value) == rfc8785.dumps(value)
    line = rfc8785.dumps(value)
    assert envelope.is_canonical(line, envelope.parse(line))
    assert not envelope.is_canonical(json.dumps(value, sort_keys=True, ensure_ascii=False,
                                                separators=(",", ":")).encode(), value)


def test_floats_and_huge_integers_never_enter_an_envelope() -> None:
    with pytest.raises(envelope.EnvelopeError, match="float"):
        envelope.canonical({"payload": {"points": 1.5}})
    with pytest.raises(envelope.EnvelopeError, match="2\\^53"):
        envelope.canonical({"n": 2**60})
    with pytest.raises(ValueError):
        envelope.parse(b'{"points":1.0}')


def test_the_event_id_is_a_uuid5_of_the_aggregate_and_version() -> None:
    aggregate = uuid.UUID("3c7a6274-3628-539e-be8e-7da39fb80f86")
    assert envelope.event_id(aggregate, 1) == str(uuid.uuid5(
        uuid.NAMESPACE_URL, f"det-registry:/events/{aggregate}/1"))


# -- signed notes --------------------------------------------------------------------------


def test_a_checkpoint_note_has_the_c2sp_shape_and_key_id() -> None:
    signer = Signer.generate("registry.example.kz/log")
    body = Checkpoint("registry.example.kz/log", 3, b"\x01" * 32).body()
    note = signer.sign(body)
    assert note.startswith("registry.example.kz/log\n3\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\n")
    signature_line = note.split("\n\n", 1)[1]
    assert signature_line.startswith(f"{EM_DASH} registry.example.kz/log ")
    public = signer.verifier.public_key
    key_id = hashlib.sha256(b"registry.example.kz/log\n\x01" + public).digest()[:4]
    raw = base64.b64decode(signature_line.split(" ")[2])
    assert raw[:4] == key_id and len(raw) == 68
    assert signer.verifier.vkey == (f"registry.example.kz/log+{key_id.hex()}+"
                                    + base64.b64encode(b"\x01" + public).decode())
    assert read_checkpoint(note, Verifier.parse(signer.verifier.vkey)).size == 3


def test_a_changed_note_or_another_key_does_not_verify() -> None:
    signer = Signer.generate("registry.example.kz/log")
    note = signer.sign(Checkpoint("registry.example.kz/log", 3, b"\x01" * 32).body())
    with pytest.raises(NoteError):
        open_note(note.replace("\n3\n", "\n4\n"), signer.verifier)
    with pytest.raises(NoteError):
        open_note(note, Signer.generate("registry.example.kz/log").verifier)
    with pytest.raises(NoteError):
        Verifier.parse(signer.verifier.vkey.replace("+", "+0", 1))


def test_the_log_key_is_made_once_and_keeps_its_name(tmp_path: Path) -> None:
    first = load_or_create_signer(tmp_path, "registry.example.kz/log")
    again = load_or_create_signer(tmp_path, "moved.example.kz/log")
    assert again.name == "registry.example.kz/log"
    assert again.verifier == first.verifier
    assert (tmp_path / "transparency-log.key").stat().st_mode & 0o777 == 0o600
    assert Signer.parse(first.skey()).verifier == first.verifier


# -- the event catalog ---------------------------------------------------------------------


def test_the_event_catalog_matches_the_code() -> None:
    expected = catalog.catalog()
    present = {path: (EVENTS / path).read_text(encoding="utf-8")
               for path in catalog.existing(EVENTS)}
    stale = sorted(set(present) - set(expected))
    missing = sorted(set(expected) - set(present))
    changed = sorted(p for p in set(expected) & set(present) if expected[p] != present[p])
    assert not (stale or missing or changed), (
        f"events/ is out of date with the event classes (missing: {missing}, changed: "
        f"{changed}, no longer produced: {stale}). Regenerate it from the project root with "
        f"`{catalog.REGENERATE}` and commit the result; a new event *version* needs "
        "class_version and an upcaster on the event class.")


def test_every_logged_envelope_fits_its_schema_shape() -> None:
    schemas = {json.loads(text)["title"] for text in catalog.catalog().values()}
    assert "Certificate.Issued v1" in schemas and "Mooc.Drafted v1" in schemas
    issued = json.loads(catalog.catalog()["Certificate/Issued.v1.json"])
    assert "personal" not in issued["properties"]["payload"]["properties"]
    assert issued["properties"]["aggregate"]["properties"]["version"] == {"const": 1}
