"""The student's history page (``/history``): its progression box says planning's decision
for now (as the plan and practice pages do), its session plots name no ids and keep their
pain labels apart, and its progress chart marks sharp pain as sharp pain, never as a 10.

The history is the phone red team's: a student with no teacher linked, their browser in New
York, reported pain 3 and, a second later, sharp pain at 23:41 local time; back after local
midnight they answered the check-in "the same / no / no".
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from students import CLINICAL_INTAKE, PASSWORD
from twistcoach.storage import Repository, SampleRecord, create_engine_for_url, init_db
from twistcoach.storage.plot import plot_session
from twistcoach.storage.progress import decide_for_person
from twistcoach.web import WebSettings, create_app, domain

NEW_YORK = ZoneInfo("America/New_York")
SUPPORTED = "supine_twist_supported"
PARTIAL = "supine_twist_partial"
#: The session starts at 23:40:40 in New York; pain 3 at 22.4 s, sharp pain at 23.4 s (23:41).
STARTED = dt.datetime(2026, 12, 7, 23, 40, 40, tzinfo=NEW_YORK)


class Clock:
    """A settable clock for the repository (aware datetimes)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class World:
    app: Any
    repo: Repository
    clock: Clock


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    engine = create_engine_for_url(url)
    init_db(engine)
    clock = Clock(STARTED - dt.timedelta(minutes=10))
    repo = Repository(engine, clock=clock)
    settings = WebSettings(database_url=url, password_time_cost=1, password_memory_kib=1024)
    yield World(create_app(settings, clock=clock), repo, clock)
    engine.dispose()


def student(
    world: World, name: str = "Nina New", email: str = "nina@example.org"
) -> tuple[TestClient, str, int]:
    """A student with no teacher linked and the clinical intake: (client, csrf, person)."""
    c = TestClient(world.app, raise_server_exceptions=False, follow_redirects=False)
    r = c.post("/api/signup", json={"email": email, "display_name": name, "password": PASSWORD})
    assert r.status_code == 202, r.text
    r = c.post("/api/signin", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    csrf = str(r.json()["csrf_token"])
    r = c.post("/api/intake", json=CLINICAL_INTAKE, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    account = world.repo.find_account(email)
    assert account is not None
    person = world.repo.person_for_account(account.id)
    assert person is not None
    return c, csrf, person.id


def sharp_session(world: World, person_id: int, more: tuple[tuple[float, int], ...] = ()) -> int:
    """The red team's session: unmeasured, pain 3 then sharp pain a second later (and the
    pain levels ``more``: (seconds, level))."""
    world.clock.now = STARTED
    repo = world.repo
    sid = repo.start_session(
        person_id, SUPPORTED, 45.0, "web", start_pain=2, time_zone="America/New_York"
    ).id
    repo.add_event(sid, 0.0, "event", "session_started", "started", {})
    for t in range(23):
        repo.add_sample(
            sid,
            SampleRecord(
                t=float(t),
                knee_drop=None,
                pelvis_roll=None,
                shoulder_roll=None,
                twist=None,
                speed=None,
                confidence=0.1,
                cap=45.0,
            ),
        )
    for at, level in ((22.4, 3), *more):
        repo.add_pain(sid, at, level)
    repo.add_pain(sid, 23.4, None, sharp=True)
    world.clock.now = STARTED + dt.timedelta(seconds=24)
    repo.end_session(sid, "stopped", "sharp_pain", None)
    return sid


def text_of(page: str) -> str:
    """The page's visible text, unescaped, on one line."""
    body = re.sub(r"<(script|style|title)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def suggestion_box(page: str) -> str:
    match = re.search(r'<div class="card" id="suggestion">(.*?)</div>', page, re.S)
    assert match, "no progression box"
    return text_of(match.group(1))


# ------------------------------------------------------------------ one decision for all


def test_the_day_after_sharp_pain_and_a_good_checkin_every_page_says_the_same(
    world: World,
) -> None:
    c, csrf, person_id = student(world)
    sharp_session(world, person_id)

    # Back after local midnight (05:10 UTC): a check-in first, then "the same / no / no".
    world.clock.now = dt.datetime(2026, 12, 8, 0, 10, tzinfo=NEW_YORK)
    assert c.get("/api/plan").json()["needs_checkin"] is True
    assert "Pause twists for now" in suggestion_box(c.get("/history").text)  # resting still
    r = c.post(
        "/api/checkin",
        json={"back": "same", "new_leg_symptoms": False, "weakness_or_numbness": False},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200, r.text

    decision = decide_for_person(world.repo, person_id)
    plan = c.get("/api/plan").json()
    allowed = {v["id"]: v["cap_deg"] for v in plan["variants"] if v["allowed"]}
    assert allowed[SUPPORTED] == allowed[PARTIAL] == 40
    practice = c.get("/practice").text
    assert 'id="start-form"' in practice and "up to 40°" in practice
    plan_page = text_of(c.get("/plan").text)
    assert "Practise now" in plan_page and "up to 40°" in plan_page

    # The history's progression box: planning's decision for now, in the same words.
    box = suggestion_box(c.get("/history").text)
    assert decision.progression is not None
    view = domain.suggestion_view(decision.progression)
    assert view is not None and view.summary in box
    assert "Pause twists" not in box and "Rest from twists" not in box
    assert "40°" in box and "40 degrees" in box
    assert decision.progression.suggested_cap_deg == allowed[SUPPORTED]
    assert "SAFE-" not in box and "PROG-" not in box

    # In Spanish too: the same verdict, no pause.
    box_es = suggestion_box(c.get("/history?lang=es").text)
    assert "40°" in box_es and "Descanse de las torsiones" not in box_es


def test_a_student_nobody_follows_is_told_how_to_get_the_review_they_wait_for(
    world: World,
) -> None:
    """After a sharp-pain stop the cap stays lowered "until a teacher or clinician has
    reviewed that session", and a student with no teacher or clinician linked was never told
    that nobody could: the history page now says so, with the way to link one."""
    c, csrf, person_id = student(world)
    assert 'id="no-reviewer"' not in c.get("/history").text  # nothing waits yet
    sharp_session(world, person_id)
    assert decide_for_person(world.repo, person_id).awaits_review
    page = c.get("/history").text
    assert 'id="no-reviewer"' in page and 'href="/account"' in page
    assert "nobody follows it yet" in text_of(page)
    assert "nadie la sigue" in text_of(c.get("/history?lang=es").text)
    r = c.post("/api/links", json={"email": "teacher@example.org"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    assert 'id="no-reviewer"' not in c.get("/history").text


# ------------------------------------------------------------------------ session plot


def _drawn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every figure saved from now on (to read its title and labels back)."""
    from matplotlib.figure import Figure

    figures: list[Any] = []
    save = Figure.savefig

    def keep(self: Any, *args: Any, **kwargs: Any) -> Any:
        figures.append(self)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return figures


@pytest.mark.parametrize("narrow", [False, True])
def test_the_session_plot_is_titled_by_date_and_twist_and_its_labels_stay_apart(
    world: World, monkeypatch: pytest.MonkeyPatch, narrow: bool
) -> None:
    # Another account already holds the name: the new one is stored as "Nina New (2)".
    student(world, "Nina New", "first@example.org")
    c, _, person_id = student(world, "Nina New", "nina@example.org")
    assert world.repo.get_person(person_id).name == "Nina New (2)"
    sid = sharp_session(world, person_id)
    figures = _drawn(monkeypatch)
    r = c.get(f"/sessions/{sid}/plot.png" + ("?narrow=true" if narrow else ""))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    (fig,) = figures
    ax = fig.axes[0]
    title = " ".join(ax.get_title().split())
    name = domain.variant_names()[SUPPORTED]
    assert title.startswith("2026-12-07 23:40 · ")  # on the student's clock, not UTC 04:40
    assert " ".join(name.split()) in title and "cap 45°" in title
    assert "Session" not in title and str(sid) not in title.replace("2026-12-07 23:40", "")
    assert "Nina" not in title and "(2)" not in title

    # "pain 3" and "sharp pain", a second apart: both inside the figure, neither over the
    # other; sharp pain in bold.
    renderer = fig.canvas.get_renderer()
    labels = {t.get_text(): t for t in ax.texts}
    assert set(labels) == {"pain 3", "sharp pain"}
    boxes = {k: t.get_window_extent(renderer) for k, t in labels.items()}
    assert not boxes["pain 3"].overlaps(boxes["sharp pain"])
    figure_box = fig.bbox
    for box in boxes.values():
        assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1
    axes_box = ax.get_window_extent(renderer)
    assert axes_box.x0 <= boxes["sharp pain"].x0 and boxes["sharp pain"].x1 <= axes_box.x1
    assert labels["sharp pain"].get_fontweight() in ("bold", 700)


def test_many_pain_reports_close_together_never_hide_sharp_pain(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, person_id = student(world)
    # Eight more levels within three seconds of the sharp pain.
    sid = sharp_session(world, person_id, tuple((21.0 + i * 0.4, 2 + i % 3) for i in range(8)))
    figures = _drawn(monkeypatch)
    plot_session(world.repo.get_session(sid), tmp_path / "busy.png", narrow=True)
    (fig,) = figures
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    shown = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts]
    assert "sharp pain" in [text for text, _ in shown]
    for i, (a, box_a) in enumerate(shown):
        for b, box_b in shown[i + 1 :]:
            assert not box_a.overlaps(box_b), (a, b)


# ---------------------------------------------------------------------- progress chart


def test_the_progress_chart_marks_sharp_pain_apart_never_as_a_ten(world: World) -> None:
    c, _, person_id = student(world)
    sharp_session(world, person_id)
    summaries = world.repo.list_sessions(person_id)
    chart = domain.progress_chart(summaries)
    assert chart is not None
    (point,) = chart.points
    # Reports 2 (start), 3 and sharp: the highest pain given is 3 (drawn where a session
    # whose highest pain was 3 is), and the sharp pain is marked above the scale, not on it.
    (summary,) = summaries
    three = SimpleNamespace(session=summary.session, max_abs_knee_drop=None, pain_reports=(3,))
    plain = domain.progress_chart([SimpleNamespace(**vars(three), sharp_pain=False)])
    assert plain is not None and point.max_pain_y == plain.points[0].max_pain_y
    levels = dict(chart.pain_levels)
    assert point.max_pain_y is not None and levels[5] < point.max_pain_y < levels[0]
    assert point.max_pain_y != levels[10]
    assert point.sharp and chart.sharp_count == 1 and chart.sharp_y < levels[10]
    page = c.get("/history").text
    figure = re.search(r'<figure class="card progress".*?</figure>', page, re.S)
    assert figure
    svg = figure.group(0)
    assert 'class="sharp-mark"' in svg
    assert f'cy="{levels[10]}"' not in svg  # no pain dot drawn at 10
    caption = text_of(re.search(r"<figcaption.*?</figcaption>", svg, re.S).group(0))  # type: ignore[union-attr]
    assert "▼ sharp pain" in caption and "Sharp pain in 1 session." in caption
    spanish = c.get("/history?lang=es").text
    caption_es = text_of(re.search(r"<figcaption.*?</figcaption>", spanish, re.S).group(0))  # type: ignore[union-attr]
    assert "▼ dolor punzante" in caption_es and "Sharp pain" not in caption_es
