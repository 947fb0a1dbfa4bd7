"""MOOCs (R2): drafting, expert review, approbation, publishing."""

from __future__ import annotations

from ..domain.errors import AlreadyExists
from ..domain.moocs import Approbation, ExpertReview, LocalizedText, Mooc, MoocCodeClaim
from .platforms import PlatformCommands
from .registry import Registry, Saved


class MoocCommands:
    def __init__(self, app: Registry, *, platforms: PlatformCommands) -> None:
        self.app = app
        self.platforms = platforms  # publishing checks the platform (R1)

    def get(self, code: str) -> Mooc:
        return self.app.load(Mooc, Mooc.create_id(code), f"MOOC {code}")

    def draft(
        self,
        *,
        code: str,
        title: LocalizedText,
        language: str,
        credits: int,
        hours: int | None,
        department: str | None,
    ) -> Saved:
        mooc = Mooc.draft(code=code, title=title, language=language, credits=credits,
                          hours=hours, department=department)
        if self.app.exists(mooc.id):
            raise AlreadyExists(f"A MOOC with code {mooc.code} already exists.", code=mooc.code)
        claim_id = MoocCodeClaim.create_id(mooc.code)
        if self.app.exists(claim_id):
            taken = self.app.load(MoocCodeClaim, claim_id, f"MOOC {mooc.code}").code
            raise AlreadyExists(
                f"A MOOC with code {taken} already exists; codes differing only in case "
                f"are the same code.", code=taken)
        return self.app.commit(mooc, MoocCodeClaim(code=mooc.code), value=mooc.code)

    def submit_for_review(self, code: str) -> Saved:
        mooc = self.get(code)
        mooc.submit_for_review()
        return self.app.commit(mooc, value=mooc.code)

    def record_expert_review(
        self, *, code: str, passed: bool, reviewer: str, remarks: str | None
    ) -> Saved:
        review = ExpertReview.checked(passed, reviewer, remarks)
        mooc = self.get(code)
        mooc.record_expert_review(review)
        return self.app.commit(mooc, value=mooc.code)

    def record_approbation(self, *, code: str, passed: bool, remarks: str | None) -> Saved:
        approbation = Approbation.checked(passed, remarks)
        mooc = self.get(code)
        mooc.record_approbation(approbation)
        return self.app.commit(mooc, value=mooc.code)

    def publish(self, *, code: str, platform_code: str) -> Saved:
        mooc = self.get(code)
        platform = self.platforms.get(platform_code)
        mooc.publish(platform)
        return self.app.commit(mooc, value=mooc.code)

    def close(self, code: str) -> Saved:
        mooc = self.get(code)
        mooc.close()
        return self.app.commit(mooc, value=mooc.code)
