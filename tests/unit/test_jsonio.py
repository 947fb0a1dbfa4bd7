"""Every answer's JSON (registry.web.jsonio): the letters as they are, compact, and what orjson
refuses encoded as the standard library would."""

from __future__ import annotations

import json

from registry.web.jsonio import JSONResponse, dumps

NAME = "Әлібекова Айгүл Серікқызы"


def test_kazakh_letters_are_written_as_utf8_not_escaped() -> None:
    body = dumps({"data": {"learner": {"fullName": NAME}}})
    assert NAME.encode("utf-8") in body
    assert b"\\u" not in body
    assert json.loads(body) == {"data": {"learner": {"fullName": NAME}}}


def test_compact_and_equal_to_the_standard_librarys_text() -> None:
    data = {"a": [1, 2.5, True, None, "x"], "b": {"c": NAME}}
    assert dumps(data) == json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def test_an_integer_beyond_64_bits_falls_back_to_the_standard_library() -> None:
    assert dumps({"n": 2**70}) == b'{"n":1180591620717411303424}'


def test_the_response_carries_the_same_bytes() -> None:
    response = JSONResponse({"status": "ACTIVE", "name": NAME}, status_code=200)
    assert response.body == dumps({"status": "ACTIVE", "name": NAME})
    assert response.headers["content-type"] == "application/json"
