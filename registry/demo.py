"""``registry demo [--learners N] [--seed S]``: an empty registry filled with a KazNU-like term.

Everything goes through the feature commands the API calls (``container.commands``), inside a
command context, so the same rules decide and the same events, personal parts and metadata are
stored; the commits are gathered by the application's batch path (:meth:`Registry.batched`)
and saved about fifty learners at a time. The projections run once at the end, from scratch
(their bulk path: bare tables, big transactions), and the transparency log catches up.

The term: the platforms of clause 3.1 and two external ones (one approved, one suspended by
INET), MOOCs in every state with titles in Kazakh, Russian and English, online proctoring, an
MBA programme package with its seven documents (submitted and accepted), and ``N`` learners
with Kazakh and Russian names — IINs, enrolments, three scores each, corrections with their
reasons, final exams on campus and online, certificates, one (at least) revoked and one
reissued with a corrected name.

The same ``--seed`` makes the same term (names, IINs, scores, outcomes); certificate numbers,
ids, tokens and signatures are fresh each time, from the system's secure random source, as in
production.
"""

from __future__ import annotations

import io
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from .application.commands import Commands
from .application.context import SYSTEM, CommandContext, command_context
from .application.documents import stage_upload
from .domain.access import Principal, Role
from .domain.enrollments import ExamMode
from .domain.grading import ScoreComponent
from .domain.iin import iin_check_digit
from .domain.learners import VerificationMethod
from .domain.moocs import LocalizedText, Mooc
from .domain.platforms import PlatformKind, PlatformOwnership
from .domain.programmes import Attachment, DocumentKind

DEFAULT_LEARNERS = 200
DEFAULT_SEED = 2026
LEARNERS_PER_SAVE = 50

OPERATOR = CommandContext(actor_name="registry demo", actor_role="admin")
INET = CommandContext(actor_name="INET: Асқарова Д.", actor_role="inet")
FACULTY = "Higher School of Economics and Business"
DEAN = Principal(name="ВШЭБ: деканат", role=Role.FACULTY, faculty=FACULTY)
AS_DEAN = CommandContext(actor_name=DEAN.name, actor_role="faculty")

# -- names ----------------------------------------------------------------------------------

KAZAKH_SURNAMES = ["Құрманов", "Әбілқасымов", "Сәрсенбаев", "Жұмабеков", "Нұрғалиев", "Төлеуов",
                   "Мұқанов", "Оспанов", "Қасымов", "Ерғалиев", "Бекмұхамбетов", "Шәкенов",
                   "Сейітқалиев", "Әуезов", "Тоқтаров", "Ыбыраев", "Үсенов", "Өтебаев",
                   "Байғожин", "Ілиясов", "Нұрпейісов", "Жақыпов", "Қойшыбаев", "Есенов"]
KAZAKH_MALE = ["Әлібек", "Нұрлан", "Ерлан", "Дәулет", "Асқар", "Бауыржан", "Ғалым", "Мұрат",
               "Серік", "Іскендір", "Жәнібек", "Өміржан", "Тұрсын", "Қайрат", "Ұлан", "Айбек"]
KAZAKH_FEMALE = ["Әлия", "Гүлнар", "Айгерім", "Жанар", "Мөлдір", "Дана", "Ләззат", "Салтанат",
                 "Ұлжан", "Әсел", "Інжу", "Қарлығаш", "Гүлжан", "Назерке", "Перизат", "Өркен"]
RUSSIAN_SURNAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов",
                    "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев",
                    "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев"]
RUSSIAN_MALE = ["Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём",
                "Илья", "Кирилл", "Михаил", "Никита", "Евгений", "Владимир", "Игорь"]
RUSSIAN_FEMALE = ["Анастасия", "Мария", "Анна", "Виктория", "Екатерина", "Наталья", "Ольга",
                  "Елена", "Татьяна", "Юлия", "Ксения", "Дарья", "Светлана", "Ирина"]
RUSSIAN_PATRONYMICS = [("Александрович", "Александровна"), ("Сергеевич", "Сергеевна"),
                       ("Владимирович", "Владимировна"), ("Николаевич", "Николаевна"),
                       ("Игоревич", "Игоревна"), ("Андреевич", "Андреевна"),
                       ("Дмитриевич", "Дмитриевна"), ("Михайлович", "Михайловна"),
                       ("Викторович", "Викторовна"), ("Евгеньевич", "Евгеньевна")]

_LATIN = {"ә": "a", "ғ": "g", "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h",
          "і": "i", "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo",
          "ж": "zh", "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n",
          "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh",
          "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e",
          "ю": "yu", "я": "ya"}


def latin(text: str) -> str:
    """A passport-style Latin spelling (the Cyrillic letters' usual transliteration)."""
    out = []
    for char in text:
        spelled = _LATIN.get(char.lower(), char)
        out.append(spelled.capitalize() if char.isupper() else spelled)
    return "".join(out)


@dataclass(frozen=True)
class Person:
    full_name: str
    latin_name: str
    female: bool
    kazakh: bool


def person(rng: random.Random) -> Person:
    """Two in three Kazakh (with the -ұлы/-қызы patronymic), one in three Russian."""
    female = rng.random() < 0.55
    if rng.random() < 2 / 3:
        surname = rng.choice(KAZAKH_SURNAMES) + ("а" if female else "")
        first = rng.choice(KAZAKH_FEMALE if female else KAZAKH_MALE)
        father = rng.choice(KAZAKH_MALE)
        full = f"{surname} {first} {father}{'қызы' if female else 'ұлы'}"
        latin_name = f"{latin(surname)} {latin(first)}"
        return Person(full, latin_name, female, kazakh=True)
    surname = rng.choice(RUSSIAN_SURNAMES) + ("а" if female else "")
    first = rng.choice(RUSSIAN_FEMALE if female else RUSSIAN_MALE)
    patronymic = rng.choice(RUSSIAN_PATRONYMICS)[1 if female else 0]
    return Person(f"{surname} {first} {patronymic}", f"{latin(surname)} {latin(first)}", female,
                  kazakh=False)


def iin_for(i: int, born: date, female: bool, taken: set[str] | None = None) -> str | None:
    """A valid IIN for learner ``i``, not one of ``taken`` (added to it): the serial starts at
    ``i`` mod 10,000 and moves on past serials taken by another learner born the same day or
    without a check digit (``None`` only when every serial of that day is used)."""
    century = ("4" if female else "3") if born.year < 2000 else ("6" if female else "5")
    for step in range(10_000):
        first = f"{born:%y%m%d}{century}{(i + step) % 10000:04d}"
        check = iin_check_digit(first)
        if check is None:
            continue
        iin = f"{first}{check}"
        if taken is None or iin not in taken:
            if taken is not None:
                taken.add(iin)
            return iin
    return None


# -- courses ----------------------------------------------------------------------------------

SUBJECTS = [
    ("KAZLIT", "Қазақ әдебиетінің тарихы", "История казахской литературы",
     "History of Kazakh literature", "Philology"),
    ("DATA", "Деректер құрылымы", "Структуры данных", "Data structures",
     "Information technology"),
    ("MATH", "Жоғары математика", "Высшая математика", "Higher mathematics",
     "Mechanics and mathematics"),
    ("HIST", "Қазақстан тарихы", "История Казахстана", "History of Kazakhstan", "History"),
    ("ECO", "Экология негіздері", "Основы экологии", "Foundations of ecology", "Biology"),
    ("LAW", "Құқық негіздері", "Основы права", "Foundations of law", "Law"),
    ("ECON", "Экономикалық теория", "Экономическая теория", "Economic theory",
     "Economics and business"),
    ("PSY", "Жалпы психология", "Общая психология", "General psychology", "Philosophy"),
    ("PHYS", "Жалпы физика", "Общая физика", "General physics", "Physics and technology"),
    ("CHEM", "Органикалық химия", "Органическая химия", "Organic chemistry", "Chemistry"),
    ("GEO", "Қазақстанның физикалық географиясы", "Физическая география Казахстана",
     "Physical geography of Kazakhstan", "Geography"),
    ("AI", "Жасанды интеллект негіздері", "Основы искусственного интеллекта",
     "Foundations of artificial intelligence", "Information technology"),
]
EXPERTS = ["Проф. Ахметова Г.Қ.", "Доц. Серікбаев Н.Т.", "Проф. Ким В.А.", "Доц. Жұмаділова Ә.С."]


@dataclass(frozen=True)
class Course:
    code: str
    title: LocalizedText
    department: str
    language: str
    credits: int


def course(m: int) -> Course:
    prefix, kk, ru, en, department = SUBJECTS[m % len(SUBJECTS)]
    run = m // len(SUBJECTS)
    suffix = f" {run + 1}" if run else ""
    return Course(f"{prefix}-{101 + run}", LocalizedText(kk=kk + suffix, ru=ru + suffix,
                                                         en=en + suffix),
                  department, "kk" if m % 3 else "ru", (5, 3, 5, 6)[m % 4])


# -- what the demo made ------------------------------------------------------------------------


@dataclass
class Made:
    """What the fill made, for its summary and links."""

    learners: int = 0
    enrollments: int = 0
    certificates: int = 0
    revoked: list[str] = field(default_factory=list)
    reissued: list[tuple[str, str]] = field(default_factory=list)  # (old, new)
    shown: str | None = None  # an active certificate whose links are printed
    moocs: dict[str, str] = field(default_factory=dict)  # code → status
    package: str | None = None
    suspended_platform: str | None = None
    admin_token: str = ""


@dataclass(frozen=True)
class Result:
    made: Made
    events: int
    fill_seconds: float
    projection_seconds: float
    audit_seconds: float

    @property
    def seconds(self) -> float:
        return self.fill_seconds + self.projection_seconds + self.audit_seconds


# -- the story ---------------------------------------------------------------------------------


class Term:
    """One demo term written into ``container``'s empty store."""

    def __init__(self, container: Any, learners: int, seed: int,
                 progress: Callable[[int], None] | None = None) -> None:
        self.container = container
        self.app = container.app
        self.cmd: Commands = container.commands
        self.learners = learners
        self.rng = random.Random(seed)
        self.iins: set[str] = set()  # the IINs given so far: each learner's is its own
        self.progress = progress or (lambda done: None)
        self.today: date = self.app.today()
        self.made = Made()
        self.open_codes: list[str] = []
        self.closing: list[str] = []  # published now, closed at the end of the term
        self.typos: dict[UUID, str] = {}  # learner → the name as their documents spell it
        self.pending_reissue: list[tuple[str, str]] = []  # (certificate, corrected name)

    def run(self) -> Made:
        with self.app.batched() as batch:
            with command_context(OPERATOR):
                self.platforms()
                self.courses(batch.keep)
                self.proctoring()
            with command_context(AS_DEAN):
                self.package()
            self.app.flush()
            with command_context(OPERATOR):
                done = 0
                for i in range(1, self.learners + 1):
                    with command_context(fresh(OPERATOR)):  # one learner's story: its ids
                        self.learner(i)
                    if i % LEARNERS_PER_SAVE == 0 or i == self.learners:
                        self.app.flush()
                        self.progress(i - done)
                        done = i
                self.corrections()
                self.finish_courses()
                self.made.admin_token = self.cmd.tokens.create(
                    name="demo administrator", role=Role.ADMIN, learner_id=None).value
        return self.made

    # -- platforms, courses, proctoring, the MBA package ---------------------------------

    def platforms(self) -> None:
        cmd = self.cmd
        cmd.platforms.register(code="coursera.org", name="Coursera", url="https://coursera.org",
                               kind=PlatformKind.MOOC_PLATFORM,
                               ownership=PlatformOwnership.EXTERNAL)
        cmd.platforms.approve(code="coursera.org", decision_number="ҒК-2026/14",
                              decided_on=self.today - timedelta(days=40))
        cmd.platforms.register(code="stepik.org", name="Stepik", url="https://stepik.org",
                               kind=PlatformKind.MOOC_PLATFORM,
                               ownership=PlatformOwnership.EXTERNAL)
        cmd.platforms.approve(code="stepik.org", decision_number="ҒК-2026/15",
                              decided_on=self.today - timedelta(days=40))

    def courses(self, keep: set[UUID]) -> None:
        """Published courses (one per 400 learners, 6 to 250) spread over the platforms that
        may host them; and one course in each other state."""
        published = max(6, min(250, self.learners // 400))
        hosts = ["moocs.kz", "open.kaznu.kz", "moocs.kz", "coursera.org"]
        states = ["DRAFT", "IN_REVIEW", "IN_APPROBATION", "APPROVED", "RETURNED_TO_DRAFT",
                  "CLOSED", "ON_SUSPENDED"]
        for m in range(published + len(states)):
            with command_context(fresh(OPERATOR)):  # one course's story: its ids
                self.course(m, published, states, hosts, keep)

    def course(self, m: int, published: int, states: list[str], hosts: list[str],
               keep: set[UUID]) -> None:
        """Course ``m``: published (the first ``published``), else taken to its state."""
        cmd = self.cmd
        c = course(m)
        wanted = "PUBLISHED" if m < published else states[m - published]
        cmd.moocs.draft(code=c.code, title=c.title, language=c.language, credits=c.credits,
                        hours=c.credits * 30, department=c.department)
        keep.add(Mooc.create_id(c.code))
        if wanted == "DRAFT":
            self.made.moocs[c.code] = "DRAFT"
            return
        cmd.moocs.submit_for_review(c.code)
        if wanted == "IN_REVIEW":
            self.made.moocs[c.code] = "IN_REVIEW"
            return
        passed = wanted != "RETURNED_TO_DRAFT"
        cmd.moocs.record_expert_review(
            code=c.code, passed=passed, reviewer=self.rng.choice(EXPERTS),
            remarks=None if passed else "Бейнедәрістердің субтитрлері жоқ; "
                                        "тест тапсырмалары аз.")
        if wanted in ("IN_APPROBATION", "RETURNED_TO_DRAFT"):
            self.made.moocs[c.code] = "IN_APPROBATION" if passed else "DRAFT"
            return
        cmd.moocs.record_approbation(code=c.code, passed=True,
                                     remarks="Апробация сәтті өтті (2025–2026 оқу жылы)")
        if wanted == "APPROVED":
            self.made.moocs[c.code] = "APPROVED"
            return
        host = "stepik.org" if wanted == "ON_SUSPENDED" else hosts[m % len(hosts)]
        cmd.moocs.publish(code=c.code, platform_code=host)
        self.made.moocs[c.code] = "PUBLISHED"
        self.open_codes.append(c.code)
        if wanted == "CLOSED":
            self.closing.append(c.code)

    def proctoring(self) -> None:
        self.cmd.platforms.set_online_proctoring(available=True, system="ProctorEdu",
                                                 effective_from=self.today - timedelta(days=60))

    def package(self) -> None:
        """An MBA package with its seven documents (clause 3.6), submitted and accepted."""
        cmd = self.cmd
        disciplines = ["Стратегиялық менеджмент", "Корпоративтік қаржы", "Маркетинг"]
        start = self.today + timedelta(days=120)
        key = UUID(cmd.programmes.create(
            actor=DEAN, title="MBA «Цифрлық экономикадағы басқару»", program_type="MBA",
            faculty=FACULTY, start_date=start, disciplines=disciplines).value)
        for kind in DocumentKind:
            if kind is DocumentKind.SYLLABUS:
                for n, discipline in enumerate(disciplines, start=1):
                    self._attach(key, kind, f"syllabus-{n}.pdf", discipline=discipline,
                                 part=True)
                continue
            number = "ҚазҰУ-02-05/1187" if kind is DocumentKind.VICE_RECTOR_ORDER else None
            self._attach(key, kind, f"{kind.value.lower().replace('_', '-')}.pdf",
                         number=number)
        cmd.programmes.submit(actor=DEAN, submission_id=key)
        with command_context(INET):
            cmd.programmes.accept(submission_id=key)
        self.made.package = str(key)

    def _attach(self, key: UUID, kind: DocumentKind, filename: str, *,
                discipline: str | None = None, part: bool | None = None,
                number: str | None = None) -> None:
        attachment = Attachment.checked(kind=kind, discipline=discipline,
                                        has_distance_learning_part=part,
                                        registration_number=number)
        content = document_pdf(f"MBA: {kind.value}" + (f" ({latin(discipline)})"
                                                        if discipline else ""))
        staged = stage_upload(io.BytesIO(content), filename,
                              max_bytes=self.container.settings.max_upload_bytes)
        self.cmd.programmes.attach_document(actor=DEAN, submission_id=key,
                                            attachment=attachment, staged=staged)

    # -- learners ------------------------------------------------------------------------

    def learner(self, i: int) -> None:
        cmd, rng = self.cmd, self.rng
        who = person(rng)
        born = date(1975, 1, 1) + timedelta(days=rng.randrange(9000))
        iin = iin_for(i, born, who.female, self.iins) if rng.random() < 0.9 else None
        email = (f"{who.latin_name.split()[1].lower()}.{i}@live.kaznu.kz"
                 if rng.random() < 0.8 else None)
        # A few are registered with their name mistyped (Kazakh letters lost to a Russian
        # keyboard): their certificates are reissued with the corrected name. The first one
        # that can be is, so that every demo has a reissue.
        mistyped = flattened(who.full_name)
        typo = mistyped != who.full_name and (
            not self.typos and rng.random() < 0.5 or rng.random() < 0.01)
        learner_id = UUID(cmd.learners.register(
            full_name=mistyped if typo else who.full_name, email=email, iin=iin,
            full_name_latin=who.latin_name).value)
        if typo:
            self.typos[learner_id] = who.full_name
        self.made.learners += 1
        if rng.random() < 0.4:
            cmd.learners.verify_identity(learner_id=learner_id,
                                         method=VerificationMethod.UNIVERSITY_SSO)
        ability = rng.gauss(68, 16)
        for code in rng.sample(self.open_codes, 1 if rng.random() < 0.6 else 2):
            self.enrolment(learner_id, code, ability)

    def enrolment(self, learner_id: UUID, code: str, ability: float) -> None:
        cmd, rng = self.cmd, self.rng
        enrollment_id = UUID(cmd.enrollments.enroll(learner_id=learner_id, mooc_code=code).value)
        self.made.enrollments += 1
        components = list(ScoreComponent)
        if rng.random() < 0.08:  # still studying: the last rating is not in yet
            components = components[:2]
        for component in components:
            cmd.enrollments.record_score(enrollment_id=enrollment_id, component=component,
                                         points=points(rng, ability), reason=None)
        enrollment = cmd.enrollments.get(enrollment_id)
        if rng.random() < 0.05:  # an appeal: a score corrected, with its reason
            component = rng.choice(components)
            cmd.enrollments.record_score(
                enrollment_id=enrollment_id, component=component,
                points=min(100, enrollment.scores[component] + rng.randint(3, 15)),
                reason="Апелляция комиссиясының шешімі: балл қайта қаралды")
        if len(components) < 3 or not enrollment.admitted or rng.random() < 0.1:
            return  # not admitted, or the exam is still ahead
        online = rng.random() < 0.3
        cmd.enrollments.record_final_exam(
            enrollment_id=enrollment_id, points=points(rng, ability),
            mode=ExamMode.ONLINE_PROCTORED if online else ExamMode.ON_CAMPUS)
        if not enrollment.passed:
            return
        number = cmd.certificates.issue(enrollment_id=enrollment_id).value
        self.made.certificates += 1
        if learner_id in self.typos:
            self.pending_reissue.append((number, self.typos.pop(learner_id)))
        elif self.made.shown is None:
            self.made.shown = number
        elif not self.made.revoked or rng.random() < 0.005:
            self.made.revoked.append(number)
            cmd.certificates.revoke(
                number=number, reason="Емтихан хаттамасындағы қате: нәтиже жойылды")

    def corrections(self) -> None:
        """Certificates reissued with a corrected name (the learner's record follows)."""
        for number, corrected in self.pending_reissue:
            new = self.cmd.certificates.reissue(
                number=number, full_name=corrected,
                reason="Аты-жөні құжаттағыдай түзетілді (жеке куәлік бойынша)").value
            self.made.reissued.append((number, new))
            self.made.certificates += 1
        self.app.flush()

    def finish_courses(self) -> None:
        """A course closed at the end of its run, and INET's suspension of a platform."""
        for code in self.closing:
            self.cmd.moocs.close(code)
            self.made.moocs[code] = "CLOSED"
        with command_context(INET):
            self.cmd.platforms.suspend(
                code="stepik.org", reason="INET: ақпараттық қауіпсіздік аудиті аяқталғанша")
        self.made.suspended_platform = "stepik.org"


_FLAT = str.maketrans("ӘәҒғҚқҢңӨөҰұҮүҺһІіЁё", "АаГгКкНнОоУуУуХхИиЕе")


def flattened(name: str) -> str:
    """The name typed on a keyboard without Kazakh letters (and ё as е)."""
    return name.translate(_FLAT)


def fresh(ctx: CommandContext) -> CommandContext:
    """``ctx`` with a correlation id of its own (each story's commands share one)."""
    return replace(ctx, correlation_id=str(uuid4()))


def points(rng: random.Random, ability: float) -> int:
    return max(0, min(100, round(rng.gauss(ability, 12))))


def document_pdf(text: str) -> bytes:
    """A one-page PDF standing for a programme document."""
    from fpdf import FPDF

    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=14)
    doc.cell(text=text)
    return bytes(doc.output())


# -- running it --------------------------------------------------------------------------------


class NotEmpty(Exception):
    """The registry already has events: the demo fills an empty one only."""


def fill(container: Any, *, learners: int = DEFAULT_LEARNERS, seed: int = DEFAULT_SEED,
         quiet: bool = False) -> Result:
    """Fill ``container``'s registry (opened with ``seed=False`` and projections off, see
    :func:`open_empty`) with the demo term; catch the views and the audit log up."""
    from tqdm import tqdm

    app = container.app
    if app.last_notification_id():
        raise NotEmpty(app.last_notification_id())
    container.audit_runner.stop()  # it catches up at the end, in one go
    container.checkpointer.stop()
    started = time.perf_counter()
    service = container.service
    first_key = container.keys.ensure_key()
    service.execute(SYSTEM, lambda cmd: cmd.platforms.seed())
    service.execute(SYSTEM, lambda cmd: cmd.keys.ensure_recorded(first_key.kid,
                                                                 first_key.public_jwk))
    with tqdm(total=learners, desc="learners", unit="learner", file=sys.stderr,
              disable=quiet) as bar, container.backend.bulk_writes(container.app):

        def progress(learners_done: int) -> None:
            bar.update(learners_done)

        made = Term(container, learners, seed, progress=progress).run()
    filled = time.perf_counter()
    catch_up_views(container, quiet=quiet)
    viewed = time.perf_counter()
    catch_up_audit(container, quiet=quiet)
    return Result(made, app.last_notification_id(), filled - started, viewed - filled,
                  time.perf_counter() - viewed)


def catch_up_views(container: Any, *, quiet: bool = False) -> None:
    """Every projection built from scratch (the engine's fill path) and serving."""
    from tqdm import tqdm

    from .projections.engine import EventSource, ProjectionDaemon

    daemon = ProjectionDaemon(EventSource(container.app), container.views,
                              list(container.views.projections.values()))
    head = container.app.last_notification_id()
    daemon.prepare()
    with tqdm(total=head, desc="views", unit="ev", file=sys.stderr, disable=quiet) as bar:
        while True:
            busy = daemon.step()
            positions = daemon.board.progress.positions
            bar.n = min(positions.values(), default=head)
            bar.refresh()
            if not busy and daemon._all_at(head):
                break
    if daemon.problem:
        raise RuntimeError(f"the views could not be built: {daemon.problem}")


def catch_up_audit(container: Any, *, quiet: bool = False) -> None:
    """The transparency log takes in every event, then signs a checkpoint."""
    from tqdm import tqdm

    runner = container.audit_runner
    head = container.app.last_notification_id()
    done = threading.Event()

    def work() -> None:
        try:
            runner.catch_up()
        finally:
            done.set()

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    with tqdm(total=head, desc="audit log", unit="ev", file=sys.stderr, disable=quiet) as bar:
        while not done.wait(0.5):
            bar.n = runner.position
            bar.refresh()
        bar.n = runner.position
        bar.refresh()
    worker.join()
    if container.audit.size():
        container.audit.sign()


def links(settings: Any, container: Any, made: Made) -> list[str]:
    """What the demo prints at the end."""
    base = settings.public_url
    lines = [f"GraphiQL:                      {base}/graphql"]
    shown = made.shown and container.service.get("certificates", made.shown)
    if shown:
        token = shown["token"]
        lines += [f"a certificate's page:          {settings.verification_url(token)}",
                  f"its PDF:                       {base}/certificates/{made.shown}.pdf"]
    for number in made.revoked[:1]:
        lines.append(f"a revoked one:                 {base}/certificates/{number}.pdf")
    for old, new in made.reissued[:1]:
        lines.append(f"a reissued one:                {base}/certificates/{old}.pdf → "
                     f"{base}/certificates/{new}.pdf")
    lines.append(f"admin token (full access; keep it to yourself): {made.admin_token}")
    return lines

