"""Admin change forms over data that other services write too.

A form carries the values it showed, signed, in a hidden field. On submission the fields the user
changed (Django's `changed_data`, measured against what was shown) are written only if they still
hold what was shown: checked against a fresh read, and the write itself is conditional on the
values read (the service raises ChangedMeanwhile when it is not). Otherwise nothing is written and
the form comes back with the current values beside the submitted ones.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect

from core.display import displayed
from core.errors import ChangedMeanwhile, InvalidInput
from core.history import record_write
from core.stored_json import write_json

SALT = "core.admin_forms"
SAVED, UNCHANGED, CONFLICT, INVALID = "saved", "unchanged", "conflict", "invalid"


def sign_shown(values: Mapping[str, str]) -> str:
    return signing.dumps(dict(values), salt=SALT, compress=True)


def read_shown(token: str) -> dict[str, str] | None:
    """The values a form showed, or None when the token was altered or is not from this site."""
    try:
        values = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return values if isinstance(values, dict) else None


def shown_text(value: Any) -> str:
    """A stored value as a form field shows it: "" when absent, strings as they are, others as JSON;
    made safe to show by core.display (text that is not valid Unicode gets U+FFFD, numbers exact)."""
    if value is None:
        return ""
    shown = displayed(value).value
    return shown if isinstance(shown, str) else write_json(shown, sort_keys=True)


def blank_to_none(text: str) -> str | None:
    return text if text.strip() else None


class TimestampField(forms.CharField):
    """An ISO 8601 time (a time without an offset is UTC), cleaned to an aware datetime; blank clears."""

    def __init__(self, **kwargs):
        super().__init__(required=False, help_text="ISO 8601, e.g. 2025-11-07T09:12:03Z (UTC).", **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        if len(text) > 64:
            raise forms.ValidationError("Enter an ISO 8601 time, such as 2025-11-07T09:12:03Z.")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise forms.ValidationError("Enter an ISO 8601 time, such as 2025-11-07T09:12:03Z.") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def has_changed(self, initial, data):
        return (initial or "") != (data or "")


class NumberField(forms.CharField):
    """A number from `low` to `high`, blank for none. Kept as text until cleaned, so that an odd
    stored value shown as it is does not count as changed."""

    def __init__(self, *, low: float = 0, high: float = 100, **kwargs):
        self.low, self.high = low, high
        super().__init__(required=False, max_length=64, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not self.low <= number <= self.high:  # NaN fails too
            raise forms.ValidationError(f"Enter a number from {self.low:g} to {self.high:g}.")
        return number


@dataclass(frozen=True)
class ConflictRow:
    label: str
    current: str
    submitted: str


class GuardedForm(forms.Form):
    """A form whose `initial` is what it showed; `current` holds the values as stored now."""

    shown = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, data=None, *, current: Mapping[str, str], **kwargs):
        self.current = dict(current)
        self.shown_values = self.current if data is None else read_shown(data.get("shown", ""))
        initial = {**(self.shown_values or {}), "shown": sign_shown(self.current) if data is None else ""}
        super().__init__(data, initial=initial, **kwargs)

    @property
    def is_new(self) -> bool:
        """Whether the form creates an item (then every field must pass its rules)."""
        return False

    def full_clean(self):
        super().full_clean()
        if self.is_new:
            return
        # A stored value upstream wrote may break the form's rules; it is not written unless changed.
        for name in list(self._errors):
            if name in self.current and name not in self.changed_data:
                del self._errors[name]

    def clean_shown(self):
        if self.shown_values is None:
            raise forms.ValidationError("This form was altered or is not from this site: open the page again.")
        return ""

    @property
    def edited(self) -> list[str]:
        """The fields the user changed from what the form showed."""
        return [name for name in self.changed_data if name != "shown" and name in self.current]

    @property
    def written_fields(self) -> list[str]:
        """What History names as changed: the stored attributes the edited fields write."""
        return self.edited

    @property
    def has_edits(self) -> bool:
        """Whether submitting this form writes anything."""
        return bool(self.edited)

    def stale_fields(self) -> list[str]:
        """Edited fields that another writer changed since the form was shown."""
        return [name for name in self.edited if self.shown_values.get(name) != self.current.get(name)]

    def check_still_shown(self, values: Mapping[str, str]) -> None:
        """Raise ChangedMeanwhile unless the edited fields hold in `values` (as the form would
        show them) what the form showed: a precondition for services that read before writing."""
        if any(values.get(name) != self.shown_values.get(name) for name in self.edited):
            raise ChangedMeanwhile("Another writer changed these fields meanwhile.")

    def conflict_rows(self, names) -> list[ConflictRow]:
        return [
            ConflictRow(str(self.fields[name].label or name), self.current.get(name, ""), str(self.data.get(name, "")))
            for name in names
        ]

    def against_current(self) -> "GuardedForm":
        """The same submission, as if the form had shown the current values: submitting it again
        replaces them knowingly."""
        data = self.data.copy()
        data["shown"] = sign_shown(self.current)
        form = type(self)(data, current=self.current)
        form.is_valid()
        return form


@dataclass
class Submission:
    form: GuardedForm
    outcome: str  # SAVED, UNCHANGED, CONFLICT or INVALID
    result: Any = None  # what `write` returned
    conflicts: list[ConflictRow] | None = None


def submit(
    data,
    build: Callable[..., GuardedForm],
    *,
    load: Callable[[], tuple[Any, dict[str, str]]],
    write: Callable[[Any, GuardedForm], Any],
) -> Submission:
    """Validate `data` with `build(data, current=...)` against the stored values `load()` reads
    now ((record, values as a form shows them)), and call `write(record, form)` when the edited
    fields still hold what was shown."""
    record, current = load()
    form = build(data, current=current)
    if not form.is_valid():
        return Submission(form, INVALID)
    if not form.has_edits:
        return Submission(form, UNCHANGED)
    stale = form.stale_fields()
    if not stale:
        try:
            return Submission(form, SAVED, result=write(record, form))
        except InvalidInput as err:  # refused by the service (too large for DynamoDB...): keep what was typed
            form.add_error(None, err.detail)
            return Submission(form, INVALID)
        except ChangedMeanwhile:  # a writer got in between this read and the write
            record, current = load()
            form = build(data, current=current)
            form.is_valid()
            stale = form.stale_fields()
    return Submission(form.against_current(), CONFLICT, conflicts=form.conflict_rows(stale or form.edited))


def respond(request, submission: Submission, *, what: str, next_url: str, on_saved: Callable[[], None]):
    """Django's messages for a submission; a redirect to `next_url` once it is settled, or None when
    the form must be shown again (invalid, or refused because of a conflict)."""
    if submission.outcome == SAVED:
        on_saved()
        messages.success(request, f"The {what} was changed.")
        return HttpResponseRedirect(next_url)
    if submission.outcome == UNCHANGED:
        messages.info(request, f"No field of the {what} was changed; nothing was written.")
        return HttpResponseRedirect(next_url)
    if submission.outcome == CONFLICT:
        messages.error(request, f"The {what} was not saved: another writer changed it meanwhile.")
    else:
        messages.error(request, "Please correct the errors below.")
    return None


class ChangeFormAdmin:
    """For a GatewayAdmin whose detail page holds a change form posted back to the same URL."""

    change_form_class: type[GuardedForm]

    def form_values(self, record) -> dict[str, str]:
        raise NotImplementedError

    def current_record(self, object_id: str):
        """The record as stored now (a consistent read); NotFound when there is none."""
        raise NotImplementedError

    def write_change(self, object_id: str, record, form: GuardedForm):
        """Write the form's edits through the app's service, conditional on `record` as read."""
        raise NotImplementedError

    def change_form_context(self, request, record) -> dict:
        if not self.has_change_permission(request):
            return {}
        return {"change_form": self.change_form_class(current=self.form_values(record))}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method != "POST":
            return super().change_view(request, object_id, form_url, extra_context)
        if not self.has_change_permission(request):
            raise PermissionDenied
        key = unquote(object_id)

        def load():
            record = self.current_record(key)
            return record, self.form_values(record)

        submission = submit(
            request.POST,
            self.change_form_class,
            load=load,
            write=lambda record, form: self.write_change(key, record, form),
        )
        saved = respond(
            request,
            submission,
            what=f"{self.opts.verbose_name} “{key}”",
            next_url=request.path,
            on_saved=lambda: record_write(
                user=request.user, model=self.model, object_id=key, fields=submission.form.written_fields
            ),
        )
        context = {"change_form": submission.form, "conflicts": submission.conflicts, **(extra_context or {})}
        return saved or super().change_view(request, object_id, form_url, context)
