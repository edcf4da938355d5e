"""The change forms' rules, without AWS: what counts as edited, what is stale, what is refused."""

from datetime import UTC, datetime

from django.http import QueryDict

from core.admin_forms import shown_text, sign_shown
from jobs.forms import JobForm
from projects.forms import ProjectProgressForm, StageArtifactsForm, StageForm

SHOWN = {"status": "running", "current_stage": "build", "progress": "40", "name": "", "error": ""}


def submitted(shown: dict, **changes) -> QueryDict:
    data = QueryDict(mutable=True)
    data.update({**shown, "shown": sign_shown(shown), **changes})
    return data


def test_only_the_fields_the_user_changed_are_edited_and_stale_only_when_changed_meanwhile():
    form = ProjectProgressForm(submitted(SHOWN, status="failed", error="oops"), current={**SHOWN, "progress": "55"})
    assert form.is_valid()
    assert form.edited == ["status", "error"] and form.stale_fields() == []
    assert form.changes() == {"status": "failed", "error": "oops"}
    stale = ProjectProgressForm(submitted(SHOWN, status="failed"), current={**SHOWN, "status": "completed"})
    assert stale.is_valid() and stale.stale_fields() == ["status"]
    [row] = stale.conflict_rows(stale.stale_fields())
    assert (row.current, row.submitted) == ("completed", "failed")
    assert stale.against_current().stale_fields() == []  # submitting again replaces knowingly


def test_a_blank_field_removes_its_attribute_but_a_status_stays():
    form = ProjectProgressForm(submitted({**SHOWN, "name": "Calc"}, name=""), current={**SHOWN, "name": "Calc"})
    assert form.is_valid() and form.changes() == {"name": None}
    refused = ProjectProgressForm(submitted(SHOWN, status=" "), current=SHOWN)
    assert not refused.is_valid() and "status" in refused.errors


def test_an_odd_stored_value_is_refused_only_when_edited():
    shown = {**SHOWN, "progress": "40%"}
    untouched = ProjectProgressForm(submitted(shown, status="failed"), current=shown)
    assert untouched.is_valid() and untouched.edited == ["status"]
    for bad in ("140", "nan", "-1", "x"):
        edited = ProjectProgressForm(submitted(shown, progress=bad), current=shown)
        assert not edited.is_valid() and "progress" in edited.errors


def test_a_tampered_or_foreign_token_is_refused():
    data = submitted(SHOWN, status="failed")
    data["shown"] = data["shown"][:-2] + "xx"
    form = ProjectProgressForm(data, current=SHOWN)
    assert not form.is_valid() and "altered" in str(form.errors)
    data["shown"] = "not a token"
    assert not ProjectProgressForm(data, current=SHOWN).is_valid()


def test_stage_times_are_utc_and_a_log_line_alone_is_an_edit():
    shown = {"status": "running", "started_at": "2025-11-23T12:00:00Z", "completed_at": "", "error": ""}
    form = StageForm(submitted(shown, completed_at="2025-11-23T13:00:00+01:00"), current=shown)
    assert form.is_valid() and form.changes() == {"completed_at": datetime(2025, 11, 23, 12, tzinfo=UTC)}
    naive = StageForm(submitted(shown, completed_at="2025-11-23T13:00:00"), current=shown)
    assert naive.is_valid() and naive.changes()["completed_at"].tzinfo is UTC
    log_only = StageForm(submitted(shown, log_line="checked"), current=shown)
    assert log_only.is_valid() and log_only.edited == [] and log_only.has_edits
    assert log_only.written_fields == ["logs"]
    odd = {**shown, "status": "in_progress"}  # written upstream: still selectable, unchanged
    assert StageForm(submitted(odd, error="x"), current=odd).is_valid()
    assert not StageForm(submitted(shown, started_at="yesterday"), current=shown).is_valid()


def test_artifact_paths_compare_by_lines_not_by_line_endings():
    shown = {"artifacts": "a.txt\nb.txt"}
    same = StageArtifactsForm(submitted(shown, artifacts="a.txt\r\nb.txt\r\n\r\n"), current=shown)
    assert same.is_valid() and not same.has_edits
    changed = StageArtifactsForm(submitted(shown, artifacts=" b.txt \r\na.txt"), current=shown)
    assert changed.is_valid() and changed.cleaned_data["artifacts"] == ["b.txt", "a.txt"]


def test_job_times_are_stored_as_utc_text():
    shown = {"status": "running", "current_step": "", "progress": "", "error": "", "started_at": "", "completed_at": ""}
    form = JobForm(submitted(shown, started_at="2025-11-07T10:12:03.120+01:00"), current=shown)
    assert form.is_valid() and form.changes() == {"started_at": "2025-11-07T09:12:03.120Z"}


def test_shown_text():
    from decimal import Decimal

    assert shown_text(None) == "" and shown_text("x") == "x" and shown_text(Decimal("40")) == "40"
    assert shown_text({"b": [Decimal("1.5")], "a": True}) == '{"a": true, "b": [1.5]}'
