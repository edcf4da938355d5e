"""The admin's change form for a job's attributes (the steps are the worker's, never edited here)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django import forms

from core.admin_forms import GuardedForm, NumberField, TimestampField, blank_to_none, shown_text
from core.timestamps import utc_iso

JOB_FORM_FIELDS = ("status", "current_step", "progress", "error", "started_at", "completed_at")


def job_values(item: Mapping[str, Any]) -> dict[str, str]:
    return {name: shown_text(item.get(name)) for name in JOB_FORM_FIELDS}


class JobForm(GuardedForm):
    status = forms.CharField(required=False, max_length=64)
    current_step = forms.CharField(required=False, max_length=256)
    progress = NumberField(help_text="0 to 100.")
    error = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))
    started_at = TimestampField()
    completed_at = TimestampField()

    def clean_status(self):
        if not self.cleaned_data["status"].strip():
            raise forms.ValidationError("A job keeps a status; it cannot be emptied.")
        return self.cleaned_data["status"]

    def changes(self) -> dict[str, Any]:
        """The edited attributes; a blank one is stored as null, as the API's null is. Times are
        stored in UTC, to the millisecond as the worker writes them."""
        values = {}
        for name in self.edited:
            value = self.cleaned_data[name]
            if isinstance(value, datetime):
                value = utc_iso(value, timespec="milliseconds" if value.microsecond else "seconds")
            elif isinstance(value, str):
                value = blank_to_none(value)
            values[name] = value
        return values
