"""The README's per-screen examples answer for the role the screen is for (not only validate):
the teacher's screen, run with a teacher's token on a course with an enrolled learner."""

from __future__ import annotations

import re
from pathlib import Path

from apiclient import Api
from support import enrolled, published_mooc, scored

README = Path(__file__).resolve().parents[2] / "README.md"


def example(name: str) -> str:
    blocks = re.findall(r"```graphql\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    found = [b for b in blocks if re.search(rf"\b(query|mutation|subscription) {name}\b", b)]
    assert len(found) == 1, f"the README has no single example {name}"
    return found[0]


def test_the_teachers_screen_answers_for_a_teacher_of_the_course(api: Api) -> None:
    service = api.container.service
    published_mooc(service, "KAZLIT-101")
    scored(service, enrolled(service, "KAZLIT-101", "Әсел Құрманова"))
    teacher = api.token("teacher", "Prof. Ахметова", courses=["KAZLIT-101"])
    body = api(example("TeacherScreen"), {"after": None}, token=teacher)
    assert "errors" not in body, body["errors"]
    data = body["data"]
    assert data["mooc"]["statistics"]["enrolled"] == 1
    page = data["enrollments"]
    assert page["totalCount"] == 1
    [row] = page["nodes"]
    assert row["learner"]["fullName"] == "Әсел Құрманова"
    assert row["totalPoints"] == 80 + 90 + 70 and row["admitted"] is True


def test_a_teacher_of_another_course_sees_none_of_its_learners(api: Api) -> None:
    service = api.container.service
    published_mooc(service, "KAZLIT-101")
    published_mooc(service, "OTHER-1")
    scored(service, enrolled(service, "KAZLIT-101", "Әсел Құрманова"))
    other = api.token("teacher", "Prof. Other", courses=["OTHER-1"])
    body = api(example("TeacherScreen"), {"after": None}, token=other)
    assert "errors" not in body, body["errors"]
    assert body["data"]["enrollments"] == {
        "totalCount": 0, "pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []}
