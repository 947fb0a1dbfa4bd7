"""R1 and R2 on the aggregates themselves: no storage, no web."""

from __future__ import annotations

from datetime import date

import pytest

from registry.domain.errors import InvalidInput, InvalidTransition, PlatformNotApproved
from registry.domain.moocs import Approbation, ExpertReview, LocalizedText, Mooc, MoocStatus
from registry.domain.platforms import (
    CommitteeDecision,
    Platform,
    PlatformKind,
    PlatformOwnership,
)


def a_mooc(language: str = "kk", **title: str) -> Mooc:
    text = LocalizedText.checked(title.get("kk"), title.get("ru"), title.get("en"), "title")
    return Mooc.draft(code="KAZ-101", title=text, language=language, credits=5, hours=150,
                      department="Philology")


def a_platform(kind: PlatformKind, ownership: PlatformOwnership) -> Platform:
    return Platform.register(code="p.example", name="P", url="https://p.example", kind=kind,
                             ownership=ownership)


def approved(mooc: Mooc) -> Mooc:
    mooc.submit_for_review()
    mooc.record_expert_review(ExpertReview.checked(True, "Prof. Ахметова", None))
    mooc.record_approbation(Approbation.checked(True, "pilot ok"))
    return mooc


def test_the_lifecycle_in_order() -> None:
    mooc = approved(a_mooc(kk="Қазақ әдебиеті"))
    mooc.publish(a_platform(PlatformKind.MOOC_PLATFORM, PlatformOwnership.UNIVERSITY))
    assert mooc.status is MoocStatus.PUBLISHED


def test_failed_review_returns_to_draft_with_remarks() -> None:
    mooc = a_mooc(kk="Қазақ әдебиеті")
    mooc.submit_for_review()
    mooc.record_expert_review(ExpertReview.checked(False, "Expert", "Add week 3 quiz"))
    assert (mooc.status, mooc.remarks) == (MoocStatus.DRAFT, "Add week 3 quiz")
    mooc.submit_for_review()
    assert mooc.status is MoocStatus.IN_REVIEW


@pytest.mark.parametrize("step", ["review", "approbation", "publish"])
def test_steps_out_of_order_are_invalid_transitions(step: str) -> None:
    mooc = a_mooc(kk="Қазақ әдебиеті")
    platform = a_platform(PlatformKind.MOOC_PLATFORM, PlatformOwnership.UNIVERSITY)
    with pytest.raises(InvalidTransition, match="DRAFT"):
        if step == "review":
            mooc.record_expert_review(ExpertReview.checked(True, "x", None))
        elif step == "approbation":
            mooc.record_approbation(Approbation.checked(True, None))
        else:
            mooc.publish(platform)
    assert mooc.version == 1  # no event was triggered


@pytest.mark.parametrize(
    ("kind", "ownership", "allowed"),
    [(PlatformKind.MOOC_PLATFORM, PlatformOwnership.UNIVERSITY, True),
     (PlatformKind.DLS, PlatformOwnership.NATIONAL, True),
     (PlatformKind.MOOC_PLATFORM, PlatformOwnership.EXTERNAL, False),
     (PlatformKind.PERSONAL_ENVIRONMENT, PlatformOwnership.UNIVERSITY, False)],
)
def test_publishing_needs_an_approved_platform(kind, ownership, allowed) -> None:  # type: ignore[no-untyped-def]
    mooc = approved(a_mooc(kk="Қазақ әдебиеті"))
    platform = a_platform(kind, ownership)
    if allowed:
        mooc.publish(platform)
        assert mooc.platform_code == platform.code
    else:
        with pytest.raises(PlatformNotApproved):
            mooc.publish(platform)


def test_course_title_prefers_the_language_of_instruction() -> None:
    assert a_mooc("ru", kk="Тарих", ru="История", en="History").course_title == "История"
    assert a_mooc("de", ru="История", en="History").course_title == "История"
    assert a_mooc("kk", en="History").course_title == "History"


@pytest.mark.parametrize("language", ["KK", "kaz", "", "k1"])
def test_language_must_be_lowercase_iso_639_1(language: str) -> None:
    with pytest.raises(InvalidInput, match="ISO 639-1"):
        a_mooc(language, kk="Тарих")


def test_a_title_needs_at_least_one_language() -> None:
    with pytest.raises(InvalidInput, match="at least one"):
        LocalizedText.checked(None, " ", None, "title")


def test_a_personal_environment_cannot_be_approved() -> None:
    teams = a_platform(PlatformKind.PERSONAL_ENVIRONMENT, PlatformOwnership.EXTERNAL)
    with pytest.raises(InvalidInput, match="personal learning environment"):
        teams.approve(CommitteeDecision.checked("AC-7", date(2026, 1, 5)))
