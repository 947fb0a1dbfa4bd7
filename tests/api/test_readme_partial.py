"""The README's request with several mutations, refused at a later step (issue 14,
capability 6): what the server answers is what the README shows — ``data: null``, the
refusal's ``path`` naming the step — while the earlier steps are stored and later ones do
not run."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from apiclient import Api
from test_readme import BLOCKS, README

SECTION = "### Several mutations in one request"

REFUSED = {
    "data": None,
    "errors": [{
        "message": "Platform moocs.kz may not host MOOCs: INET has suspended it (Security "
                   "audit); resume it first.",
        "locations": [{"line": 5, "column": 3}],
        "path": ["publishMooc"],
        "extensions": {"code": "PLATFORM_NOT_APPROVED", "details": {"platform": "moocs.kz"}},
    }],
}


def _block(name: str) -> str:
    return next(b for b in BLOCKS if b.split("{")[0].strip() == name)


def _status(api: Api, admin: str, code: str) -> str:
    status: str = api('query($c: String!) { mooc(code: $c) { status } }', {"c": code},
                      token=admin)["data"]["mooc"]["status"]
    return status


def _review_refused_at_publishing(api: Api, admin: str) -> dict[str, Any]:
    assert "errors" not in api(_block("mutation Draft"), token=admin)
    suspended = api('mutation { suspendPlatform(input: {code: "moocs.kz", reason: "Security '
                    'audit"}) { suspended } }', token=admin)
    assert suspended["data"]["suspendPlatform"]["suspended"] is True
    return api(_block("mutation Review"), token=admin)


def test_a_refused_last_step_answers_data_null_and_keeps_the_earlier_steps(
        api: Api, admin: str) -> None:
    answer = _review_refused_at_publishing(api, admin)
    assert answer == REFUSED
    # The three steps before publishMooc were stored: the MOOC is approved, not published.
    assert _status(api, admin, "KAZLIT-101") == "APPROVED"


def test_the_steps_after_a_refused_one_do_not_run(api: Api, admin: str) -> None:
    api(_block("mutation Draft").replace("KAZLIT-101", "KAZLIT-102"), token=admin)
    answer = api('''mutation {
      submitMoocForReview(code: "KAZLIT-102") { status }
      publishMooc(input: {code: "KAZLIT-102", platformCode: "moocs.kz"}) { status }
      recordExpertReview(input: {code: "KAZLIT-102", passed: true, reviewer: "P"}) { status }
    }''', token=admin)
    assert answer["data"] is None
    assert [e["path"] for e in answer["errors"]] == [["publishMooc"]]
    assert _status(api, admin, "KAZLIT-102") == "IN_REVIEW"  # submitted; never reviewed


def test_the_readme_shows_the_answer_the_server_gives(api: Api, admin: str) -> None:
    text = README.read_text(encoding="utf-8")
    if SECTION not in text:
        pytest.skip(f"README has no {SECTION!r} yet (readme-parts/ops.md, to be merged)")
    shown = re.search(r"```json\n(.*?)```", text[text.index(SECTION):], re.DOTALL)
    assert shown, "the section shows the answer in a json block"
    assert json.loads(shown.group(1)) == _review_refused_at_publishing(api, admin)
