"""MOOCs (R2): drafting, expert review, approbation, publishing."""

from __future__ import annotations

from ..domain.errors import AlreadyExists
from ..domain.moocs import Approbation, ExpertReview, LocalizedText, Mooc, MoocCodeClaim
from .base import Saved
from .platforms import PlatformCommands


class MoocCommands(PlatformCommands):
    def get_mooc(self, code: str) -> Mooc:
        return self._get(Mooc, Mooc.create_id(code), f"MOOC {code}")

    def draft_mooc(
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
        if self._exists(mooc.id):
            raise AlreadyExists(f"A MOOC with code {mooc.code} already exists.", code=mooc.code)
        claim_id = MoocCodeClaim.create_id(mooc.code)
        if self._exists(claim_id):
            taken: str = self.repository.get(claim_id).code
            raise AlreadyExists(
                f"A MOOC with code {taken} already exists; codes differing only in case "
                f"are the same code.", code=taken)
        return self._save(mooc, MoocCodeClaim(code=mooc.code), value=mooc.code)

    def submit_mooc_for_review(self, code: str) -> Saved:
        mooc = self.get_mooc(code)
        mooc.submit_for_review()
        return self._save(mooc, value=mooc.code)

    def record_expert_review(
        self, *, code: str, passed: bool, reviewer: str, remarks: str | None
    ) -> Saved:
        review = ExpertReview.checked(passed, reviewer, remarks)
        mooc = self.get_mooc(code)
        mooc.record_expert_review(review)
        return self._save(mooc, value=mooc.code)

    def record_approbation(self, *, code: str, passed: bool, remarks: str | None) -> Saved:
        approbation = Approbation.checked(passed, remarks)
        mooc = self.get_mooc(code)
        mooc.record_approbation(approbation)
        return self._save(mooc, value=mooc.code)

    def publish_mooc(self, *, code: str, platform_code: str) -> Saved:
        mooc = self.get_mooc(code)
        platform = self.get_platform(platform_code)
        mooc.publish(platform)
        return self._save(mooc, value=mooc.code)

    def close_mooc(self, code: str) -> Saved:
        mooc = self.get_mooc(code)
        mooc.close()
        return self._save(mooc, value=mooc.code)
