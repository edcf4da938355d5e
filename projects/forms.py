"""The admin's change forms for a project: its progress attributes, one stage, a stage's files."""

from collections.abc import Mapping
from typing import Any

from django import forms

from core.admin_forms import GuardedForm, NumberField, TimestampField, blank_to_none, shown_text

from .serializers import MAX_ARTIFACT_PATH, MAX_ARTIFACTS, MAX_TEXT
from .snapshot import STAGE_STATUSES, Stage

PROGRESS_FORM_FIELDS = ("status", "current_stage", "progress", "name", "error")


def progress_values(item: Mapping[str, Any]) -> dict[str, str]:
    return {name: shown_text(item.get(name)) for name in PROGRESS_FORM_FIELDS}


class ProjectProgressForm(GuardedForm):
    status = forms.CharField(required=False, max_length=64)
    current_stage = forms.CharField(required=False, max_length=128)
    progress = NumberField(help_text="0 to 100.")
    name = forms.CharField(required=False, max_length=256)
    error = forms.CharField(required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_status(self):
        if not self.cleaned_data["status"].strip():
            raise forms.ValidationError("A project keeps a status; it cannot be removed.")
        return self.cleaned_data["status"]

    def changes(self) -> dict[str, Any]:
        """The edited attributes; a blank one is removed."""
        return {
            name: blank_to_none(value) if isinstance(value, str) else value
            for name, value in ((name, self.cleaned_data[name]) for name in self.edited)
        }


def stage_values(stage: Stage) -> dict[str, str]:
    return {
        "status": shown_text(stage.status),
        "started_at": shown_text(stage.started_at),
        "completed_at": shown_text(stage.completed_at),
        "error": shown_text(stage.error),
    }


class StageForm(GuardedForm):
    status = forms.ChoiceField(choices=())
    started_at = TimestampField()
    completed_at = TimestampField()
    error = forms.CharField(required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))
    log_line = forms.CharField(
        required=False, max_length=MAX_TEXT, label="New log line", help_text="Appended to the stage's logs."
    )

    def __init__(self, data=None, *, current, **kwargs):
        super().__init__(data, current=current, **kwargs)
        statuses = list(STAGE_STATUSES)
        if current.get("status") not in statuses:  # what upstream wrote stays selectable, unchanged
            statuses.insert(0, current.get("status", ""))
        self.fields["status"].choices = [(status, status or "—") for status in statuses]

    @property
    def new_logs(self) -> list[str]:
        line = self.cleaned_data.get("log_line", "")
        return [line] if line.strip() else []

    @property
    def has_edits(self) -> bool:
        return bool(self.edited or self.new_logs)

    @property
    def written_fields(self) -> list[str]:
        return [*self.edited, *(["logs"] if self.new_logs else [])]

    def changes(self) -> dict[str, Any]:
        values = {name: self.cleaned_data[name] for name in self.edited}
        if "error" in values:
            values["error"] = blank_to_none(values["error"])
        return values


def artifact_paths_text(stage: Stage) -> dict[str, str]:
    return {"artifacts": "\n".join(shown_text(path) for path in stage.artifacts)}


class PathListField(forms.CharField):
    """One path per line; blank lines and surrounding spaces do not count."""

    def to_python(self, value) -> list[str]:
        return [line.strip() for line in super().to_python(value).splitlines() if line.strip()]

    def has_changed(self, initial, data):
        return self.to_python(initial) != self.to_python(data)

    def validate(self, value):
        if len(value) > MAX_ARTIFACTS:
            raise forms.ValidationError(f"At most {MAX_ARTIFACTS} paths.")
        if any(len(path) > MAX_ARTIFACT_PATH for path in value):
            raise forms.ValidationError(f"A path holds at most {MAX_ARTIFACT_PATH} characters.")


class StageArtifactsForm(GuardedForm):
    artifacts = PathListField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"One path per line (at most {MAX_ARTIFACTS}); replaces the stage's list.",
    )
