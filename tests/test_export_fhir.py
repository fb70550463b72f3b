"""The FHIR R4B export (issue 21, part 1): valid resources, a round trip, unknown values
absent, stable ids, and the ``twistcoach export fhir`` command."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner

from clinic_data import SHARP_CAP_DEG, make_clinic_db
from twistcoach.cli.app import build_app
from twistcoach.export import PersonFacts, gather
from twistcoach.export.accuracy import load_accuracy
from twistcoach.export.fhir import (
    IDENTIFIER_SYSTEM,
    PAIN_LOINC,
    build_bundle,
    questionnaire_items,
)
from twistcoach.intake import Intake, RedFlag
from twistcoach.storage import Repository, open_repository
from twistcoach.storage.db import create_engine_for_url

runner = CliRunner()


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, int]]:
    """The demo people and Alex's unmeasured sharp-pain stop (seeded once: ~6 s)."""
    return make_clinic_db(tmp_path_factory.mktemp("fhir"))


@pytest.fixture
def repo(clinic: tuple[str, dict[str, int]]) -> Iterator[Repository]:
    engine = create_engine_for_url(clinic[0])
    yield open_repository(engine)
    engine.dispose()


@pytest.fixture
def ids(clinic: tuple[str, dict[str, int]]) -> dict[str, int]:
    return clinic[1]


def resources_of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def code_of(resource: dict[str, Any]) -> str:
    return str(resource["code"]["coding"][0]["code"])


def by_identifier(bundle: dict[str, Any], value: str) -> dict[str, Any]:
    for entry in bundle["entry"]:
        ident = entry["resource"].get("identifier")
        idents = ident if isinstance(ident, list) else [ident]
        if any(i and i["value"] == value for i in idents):
            return dict(entry["resource"])
    raise AssertionError(f"no resource with identifier {value}")


def sam(repo: Repository, ids: dict[str, int]) -> tuple[PersonFacts, dict[str, Any]]:
    facts = gather(repo, ids["sam"])
    return facts, build_bundle(facts)


def test_every_resource_validates_with_fhir_resources(
    repo: Repository, ids: dict[str, int]
) -> None:
    for person in ("sam", "alex"):
        bundle = build_bundle(gather(repo, ids[person]))
        parsed = Bundle.model_validate_json(json.dumps(bundle))
        assert parsed.type == "collection"
        assert len(parsed.entry or []) == len(bundle["entry"])
        for entry in bundle["entry"]:
            resource = entry["resource"]
            model = get_fhir_model_class(resource["resourceType"])
            model.model_validate(resource)  # raises when invalid
            assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
        assert {
            "Patient",
            "Questionnaire",
            "QuestionnaireResponse",
            "CarePlan",
            "ServiceRequest",
            "Observation",
        } <= kinds


def test_round_trip_for_the_demo_student(repo: Repository, ids: dict[str, int]) -> None:
    from twistcoach.storage.progress import decide_for_person

    facts, bundle = sam(repo, ids)
    parsed = Bundle.model_validate_json(json.dumps(bundle))
    back = json.loads(parsed.model_dump_json(exclude_none=True))
    decision = decide_for_person(repo, ids["sam"])

    # The plan: one Goal per allowed variant with planning's cap; nothing else.
    goals = resources_of(back, "Goal")
    assert len(goals) == len(decision.allowed) == 2
    for permission in decision.allowed:
        goal = by_identifier(back, f"person/{ids['sam']}/goal/{permission.variant_id}")
        high = goal["target"][0]["detailRange"]["high"]
        assert (high["value"], high["code"], high["system"]) == (
            permission.cap_deg,
            "deg",
            "http://unitsofmeasure.org",
        )
    assert decision.permission("supine_twist_supported").cap_deg == 40.0  # lowered by pain
    (service,) = resources_of(back, "ServiceRequest")
    assert service["code"]["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "229065009",
        "display": "Exercise therapy",
    }
    (care,) = resources_of(back, "CarePlan")
    assert len(care["goal"]) == 2
    assert care["activity"][0]["reference"]["reference"] == f"urn:uuid:{service['id']}"

    # The intake: answers as stored, for a questionnaire generated from the model.
    (response,) = resources_of(back, "QuestionnaireResponse")
    answers = {i["linkId"]: i.get("answer") for i in response["item"]}
    assert answers["age"] == [{"valueInteger": 46}]
    assert answers["pain_now"] == [{"valueInteger": 3}]
    assert answers["conditions"][0]["valueCoding"]["code"] == "chronic_low_back_pain"
    assert "surgery_months_ago" not in answers  # not given: absent
    (questionnaire,) = resources_of(back, "Questionnaire")
    assert response["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"

    # Each session: holds, pains and how it ended, as stored.
    for session in facts.sessions:
        sid = session.session_id
        head = session.summary.session
        panel = by_identifier(back, f"person/{ids['sam']}/session/{sid}")
        assert panel["valueCodeableConcept"]["coding"][0]["code"] == "completed"
        # The start pain, each report, no end pain: none was given at the end.
        assert len(panel["hasMember"]) == 2 * len(session.sides) + 1 + len(session.pains)
        for index, hold in enumerate(session.sides):
            drop = by_identifier(back, f"person/{ids['sam']}/session/{sid}/hold/{index}/knee-drop")
            assert drop["valueQuantity"]["code"] == "deg"
            assert hold.knee_drop_deg is not None
            assert drop["valueQuantity"]["value"] == round(hold.knee_drop_deg, 1)
            assert drop["method"]["text"] == "markerless video, single camera"
            # The measured accuracy that applies (no body type given: the neutral model's).
            assert drop["note"][0]["text"] == load_accuracy().note(None)
            side = drop["component"][0]["valueCodeableConcept"]["text"]
            assert side == hold.side
            assert drop["referenceRange"][0]["high"]["value"] == hold.cap_deg
            held = by_identifier(back, f"person/{ids['sam']}/session/{sid}/hold/{index}/time")
            assert held["valueQuantity"]["value"] == round(hold.held_s, 1)
        start = by_identifier(back, f"person/{ids['sam']}/session/{sid}/pain/start")
        assert code_of(start) == PAIN_LOINC
        assert start["valueInteger"] == head.start_pain
        assert head.end_pain is None
        with pytest.raises(AssertionError, match="no resource"):
            by_identifier(back, f"person/{ids['sam']}/session/{sid}/pain/end")
    last = facts.sessions[-1]
    during = by_identifier(back, f"person/{ids['sam']}/session/{last.session_id}/pain/0")
    assert during["valueInteger"] == 4 == last.summary.pain_reports[0]
    assert [h.side for h in last.sides] == ["right", "left"]
    assert [h.cap_deg for h in last.sides] == [45.0, 40.0]  # lowered by the pain report


def test_unknown_values_are_absent_and_sharp_pain_is_a_flag(
    repo: Repository, ids: dict[str, int]
) -> None:
    bundle = build_bundle(gather(repo, ids["alex"]))
    sid = ids["alex_sharp"]
    drop = by_identifier(bundle, f"person/{ids['alex']}/session/{sid}/hold/0/knee-drop")
    assert "valueQuantity" not in drop
    assert drop["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    assert drop["referenceRange"][0]["high"]["value"] == SHARP_CAP_DEG
    for obs in resources_of(bundle, "Observation"):
        if code_of(obs) == "knee-drop-held" and "valueQuantity" in obs:
            assert obs["valueQuantity"]["value"] > 0  # a measured hold, never a made-up 0
    # No end pain given: no end-pain Observation; sharp pain is never a 0-10 score.
    with pytest.raises(AssertionError):
        by_identifier(bundle, f"person/{ids['alex']}/session/{sid}/pain/end")
    scores = [o for o in resources_of(bundle, "Observation") if code_of(o) == PAIN_LOINC]
    assert all(o["valueInteger"] < 10 for o in scores)
    sharp = by_identifier(bundle, f"person/{ids['alex']}/session/{sid}/pain/0")
    assert (code_of(sharp), sharp["valueBoolean"]) == ("sharp-pain", True)
    # The care plan's notes give each reason in words with its source, never a rule's id
    # (after sharp pain: no more twists that day).
    (care,) = (
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"
    )
    noted = " ".join(n["text"] for n in care.get("note", []))
    assert "Sharp pain stopped your" in noted and "(CLINICAL.md §5" in noted
    assert not re.search(r"SAFE-[A-Z]|\([a-z]+_[a-z_]+\)", noted), noted
    panel = by_identifier(bundle, f"person/{ids['alex']}/session/{sid}")
    assert panel["valueCodeableConcept"]["coding"][0]["code"] == "sharp_pain"
    assert "paused 1 time" in panel["note"][0]["text"]
    (flag,) = resources_of(bundle, "Flag")
    assert flag["status"] == "active"  # no review yet: planning's flag is open
    assert flag["subject"]["reference"] == f"urn:uuid:{resources_of(bundle, 'Patient')[0]['id']}"


def test_ids_are_stable_across_exports(repo: Repository, ids: dict[str, int]) -> None:
    def keys(bundle: dict[str, Any]) -> list[tuple[str, str]]:
        return [(e["fullUrl"], e["resource"]["id"]) for e in bundle["entry"]]

    first = build_bundle(gather(repo, ids["sam"]))
    second = build_bundle(gather(repo, ids["sam"]))
    assert keys(first) == keys(second)
    assert first["id"] == second["id"]
    assert len({k for k, _ in keys(first)}) == len(first["entry"])  # no duplicates
    # A session on its own keeps the ids it has in the whole record.
    sid = gather(repo, ids["sam"]).sessions[0].session_id
    alone = build_bundle(gather(repo, ids["sam"], session_ids=[sid]), include_record=False)
    assert set(keys(alone)) <= set(keys(first))
    assert not resources_of(alone, "CarePlan")
    # Another installation's system gives other ids.
    other = build_bundle(gather(repo, ids["sam"]), system="urn:example:other-clinic")
    assert not set(keys(other)) & set(keys(first))
    assert resources_of(first, "Patient")[0]["identifier"][0]["system"] == IDENTIFIER_SYSTEM


def test_questionnaire_is_generated_from_the_intake_model() -> None:
    items = {i["linkId"]: i for i in questionnaire_items()}
    assert set(items) == set(Intake.model_fields)
    assert len(items["red_flags"]["item"]) == len(RedFlag)
    assert all(i["type"] == "boolean" for i in items["red_flags"]["item"])
    assert items["age"]["required"] and not items["surgery_months_ago"]["required"]
    assert items["clearances"]["type"] == "group" and items["clearances"]["repeats"]
    codes = {o["valueCoding"]["code"] for o in items["activity"]["answerOption"]}
    assert codes == {"deconditioned", "light", "active"}


def invoke(url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(build_app(), list(args), env={"TWISTCOACH_DATABASE_URL": url})
    return result.exit_code, result.stdout, result.stderr


def test_cli_writes_the_bundle_and_refuses_bad_input(
    clinic: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    url, ids = clinic
    out = tmp_path / "sam.json"
    code, _, err = invoke(url, "export", "fhir", "--person", "Sam", "--out", str(out))
    assert code == 0, err
    bundle = Bundle.model_validate_json(out.read_text(encoding="utf-8"))
    assert bundle.type == "collection"
    code, stdout, _ = invoke(
        url, "export", "fhir", "--person", "Alex", "--session", str(ids["alex_sharp"])
    )
    assert code == 0
    assert resources_of(json.loads(stdout), "Flag")
    code, _, err = invoke(url, "export", "fhir", "--person", "Nobody")
    assert code == 2 and "no person named 'Nobody'" in err
    code, _, err = invoke(
        url, "export", "fhir", "--person", "Sam", "--session", str(ids["alex_sharp"])
    )
    assert code == 2 and "not one of Sam's sessions" in err
    code, _, err = invoke(
        url, "export", "fhir", "--person", "Sam", "--out", str(tmp_path / "no" / "x.json")
    )
    assert code == 2 and "does not exist" in err
    code, _, err = invoke(url, "export", "fhir", "--person", "Sam", "--system", "not a uri")
    assert code == 2 and "not a URI" in err


def test_an_open_flag_no_session_carries_is_a_flag_of_its_own(
    repo: Repository, ids: dict[str, int]
) -> None:
    """An open nerve-sign flag (from a check-in) was missing: the only Flag was the sharp
    pain's, inactive once a teacher had reviewed it."""
    import dataclasses
    import datetime as dt

    from twistcoach.planning import FlagKind, SafetyFlag
    from twistcoach.screening import Reason

    facts = gather(repo, ids["alex"])
    nerve = SafetyFlag(
        FlagKind.CHECKIN_CARE,
        dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC),
        Reason(
            rule="SAFE-CARE-FLAG",
            text="New leg symptoms were reported: waiting for a clinician's review.",
            source="CLINICAL.md §5",
        ),
    )
    decision = dataclasses.replace(facts.decision, open_flags=(*facts.decision.open_flags, nerve))
    bundle = build_bundle(dataclasses.replace(facts, decision=decision))
    flags = {code_of(f): f for f in resources_of(bundle, "Flag")}
    assert flags["checkin-care"]["status"] == "active"
    assert "waiting for a clinician" in flags["checkin-care"]["code"]["text"]


def test_red_flags_a_later_intake_left_out_are_flags_of_their_own(tmp_path: Path) -> None:
    """Emergency signs reported and then left out by a new intake stay open (waiting for a
    clinician's review): each is an active Flag, one per sign, though both were left out by
    the same answer at the same moment."""
    engine = create_engine_for_url(f"sqlite:///{tmp_path / 'rf.db'}")
    repo = open_repository(engine)
    person = repo.create_person("Rae")
    answers = {
        "age": 45,
        "pain_now": 2,
        "pain_duration_weeks": 30,
        "activity": "light",
        "leg_symptoms": "none",
        "conditions": ["chronic_low_back_pain"],
    }
    repo.save_intake(
        person.id, {**answers, "red_flags": ["bladder_dysfunction", "saddle_numbness"]}
    )
    repo.save_intake(person.id, {**answers, "red_flags": []})
    bundle = build_bundle(gather(repo, person.id))
    Bundle.model_validate_json(json.dumps(bundle))
    flags = [f for f in resources_of(bundle, "Flag") if code_of(f) == "emergency-withdrawn"]
    assert len(flags) == 2 and all(f["status"] == "active" for f in flags)
    texts = sorted(f["code"]["text"] for f in flags)
    assert "loss of bladder control" in texts[0] and "saddle area" in texts[1]
    assert all("does not take it back" in t for t in texts)
    engine.dispose()


@pytest.mark.parametrize("command", [["export", "fhir"], ["report"]])
def test_an_output_that_cannot_be_written_is_refused_before_the_database_is_opened(
    tmp_path: Path, command: list[str]
) -> None:
    """``--out`` in a file's place (not a folder) was found only once the record had been
    read, and the database made where there was none."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    db = tmp_path / "fresh.sqlite"
    result = runner.invoke(
        build_app(),
        [*command, "--person", "Sam", "--out", str(blocker / "x.out")],
        env={"TWISTCOACH_DATABASE_URL": f"sqlite:///{db}"},
    )
    assert result.exit_code == 2, result.output
    assert f"--out {blocker / 'x.out'}: cannot write ({blocker} is not a folder)" in result.stderr
    assert not db.exists() and "Traceback" not in result.output


def test_a_pain_not_given_at_the_end_has_no_after_observation(repo: Repository) -> None:
    # A session stopped for sharp pain after a 3 exported "Pain severity 0-10 (after)" = 3
    # (the recorder stored the last pain said as the end pain); one with no report at all
    # exported its starting pain as the "after" score.
    from twistcoach.coaching import Event
    from twistcoach.storage import SessionRecorder

    person = repo.create_person("Pia After")
    three = Event(4.0, "pain_reported", "pain reported: 3/10", {"level": 3, "rise": 1})
    sharp = Event(5.0, "session_stopped", "stopped", {"reason": "sharp_pain"})
    late = Event(9.0, "pain_reported", "after the end: 1/10", {"level": 1, "after_end": True})
    sids = []
    for outputs in ((three, sharp), (), (three, sharp, late)):
        recorder = SessionRecorder.start(
            repo, person.id, "supine_twist_supported", 45.0, "test", start_pain=2
        )
        recorder.record(outputs)
        sids.append(recorder.finish().id)
    bundle = build_bundle(gather(repo, person.id))
    texts = {
        r["identifier"][0]["value"].split("/session/")[1]: (r["code"]["text"], r["valueInteger"])
        for r in resources_of(bundle, "Observation")
        if "/pain/" in r["identifier"][0]["value"] and "valueInteger" in r
    }
    stopped, quiet, given = sids
    assert f"{stopped}/pain/end" not in texts and f"{quiet}/pain/end" not in texts
    assert texts[f"{stopped}/pain/start"] == ("Pain severity 0-10 (before)", 2)
    assert texts[f"{stopped}/pain/0"] == ("Pain severity 0-10 (during)", 3)
    assert texts[f"{given}/pain/end"] == ("Pain severity 0-10 (after)", 1)


def test_the_care_plan_leads_with_todays_verdict_while_it_is_on_hold(
    repo: Repository, ids: dict[str, int]
) -> None:
    # Alex's sharp-pain stop holds the plan: its description began "Screening: ready.",
    # read as leave to practise. It leads with planning's verdict, the PDF's words.
    from twistcoach.export.clinical_report import today_text

    facts = gather(repo, ids["alex"])
    (care,) = resources_of(build_bundle(facts), "CarePlan")
    assert care["status"] == "on-hold"
    verdict = today_text(facts.decision)
    assert verdict == "Today, by planning's decision: no twist may be practised now."
    assert care["description"].startswith(verdict + " Screening: ")


def test_a_pain_given_after_the_end_is_shown_once_as_after(repo: Repository) -> None:
    # A pain given after the coach finished is the end ("after") score: it was also
    # exported as a "during" score (the same report twice).
    from twistcoach.coaching import Event
    from twistcoach.storage import SessionRecorder

    person = repo.create_person("Ana Once")
    three = Event(4.0, "pain_reported", "pain reported: 3/10", {"level": 3, "rise": 1})
    done = Event(8.0, "session_done", "done", {})
    late = Event(9.0, "pain_reported", "after the end: 4/10", {"level": 4, "after_end": True})
    recorder = SessionRecorder.start(
        repo, person.id, "supine_twist_supported", 45.0, "test", start_pain=2
    )
    recorder.record((three, done, late))
    sid = recorder.finish().id
    bundle = build_bundle(gather(repo, person.id))
    pains = {
        r["identifier"][0]["value"].split(f"/session/{sid}/pain/")[1]: (
            r["code"]["text"],
            r["valueInteger"],
        )
        for r in resources_of(bundle, "Observation")
        if f"/session/{sid}/pain/" in r["identifier"][0]["value"] and "valueInteger" in r
    }
    assert pains == {
        "start": ("Pain severity 0-10 (before)", 2),
        "0": ("Pain severity 0-10 (during)", 3),
        "end": ("Pain severity 0-10 (after)", 4),
    }
