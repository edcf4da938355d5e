"""The admin's forms to register and change an artifact: its rating as a table of sub-scores, its
dataset and code chosen by name."""

from typing import Any

from django import forms

from core.admin_forms import GuardedForm, NumberField, shown_text

from .gateway import MAX_KEY_BYTES
from .names import MAX_NAME_LENGTH, normalize_name
from .rating import SCORES
from .records import ARTIFACT_TYPES, LINK_KINDS, ArtifactRecord
from .services import ArtifactContent, artifact_named

SCORE_PREFIX = "score_"
SCORE_FIELDS = [SCORE_PREFIX + key for key in SCORES]


def artifact_values(record: ArtifactRecord | None) -> dict[str, str]:
    """What the form shows of `record` (blank for a new artifact)."""
    if record is None:
        return {name: "" for name in ("name", "artifact_type", "url", *LINK_KINDS, *SCORE_FIELDS)}
    rating = record.rating or {}
    return {
        "name": shown_text(record.name),
        "artifact_type": shown_text(record.artifact_type),
        "url": shown_text(record.url),
        **{kind: shown_text(getattr(record, f"{kind}_name") or getattr(record, f"{kind}_id")) for kind in LINK_KINDS},
        **{SCORE_PREFIX + key: shown_text(rating.get(key)) for key in SCORES},
    }


class ArtifactForm(GuardedForm):
    name = forms.CharField(max_length=MAX_NAME_LENGTH)
    artifact_type = forms.ChoiceField(label="Type", choices=[(kind, kind) for kind in ARTIFACT_TYPES])
    url = forms.URLField(
        label="URL",
        max_length=MAX_KEY_BYTES,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vURLField"}),
        help_text="Cannot change once registered.",
    )
    dataset = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"list": "dataset-names"}),
        help_text="A registered dataset, by name (or id); blank for none.",
    )
    code = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"list": "code-names"}),
        help_text="A registered code artifact, by name (or id); blank for none.",
    )

    def __init__(self, data=None, *, current, **kwargs):
        super().__init__(data, current=current, **kwargs)
        for key, label in SCORES.items():
            self.fields[SCORE_PREFIX + key] = NumberField(low=0, high=1, label=label)
        self.registered = bool(current.get("url"))
        if self.registered and current.get("artifact_type") not in ARTIFACT_TYPES:
            # Shown as stored, so that the browser does not quietly pick another type for it.
            self.fields["artifact_type"].choices = [(current["artifact_type"], current["artifact_type"] or "—")] + [
                (kind, kind) for kind in ARTIFACT_TYPES
            ]
        if self.registered:
            self.fields["url"].disabled = True  # the url is an artifact's identity
        self.linked_ids: dict[str, str | None] = {}

    @property
    def is_new(self) -> bool:
        return not self.registered

    @property
    def score_fields(self):
        return [self[name] for name in SCORE_FIELDS]

    @property
    def main_fields(self):
        return [self[name] for name in ("name", "artifact_type", "url", *LINK_KINDS)]

    @property
    def written_fields(self) -> list[str]:
        return [f"rating.{name.removeprefix(SCORE_PREFIX)}" if name in SCORE_FIELDS else name for name in self.edited]

    def clean_name(self):
        if not normalize_name(self.cleaned_data["name"]):
            raise forms.ValidationError("The name needs at least one letter or digit.")
        return self.cleaned_data["name"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("artifact_type") not in ARTIFACT_TYPES:
            self.add_error(None, f"Choose a type: {', '.join(ARTIFACT_TYPES)} (the stored one is not one of them).")
        for kind in LINK_KINDS:
            if kind in self.changed_data and kind not in self.errors:
                self._resolve_link(kind, cleaned.get(kind, "").strip())
        if cleaned.get("artifact_type") not in (None, "model") and any(
            name.startswith(SCORE_PREFIX) and cleaned.get(name) is not None for name in self.changed_data
        ):
            self.add_error(None, "Only models are rated: leave the scores of a dataset or code artifact blank.")
        return cleaned

    def _resolve_link(self, kind: str, name: str) -> None:
        if not name:
            self.linked_ids[kind] = None
            return
        found = artifact_named(artifact_type=kind, name=name)
        if len(found) == 1:
            self.linked_ids[kind] = found[0].artifact_id
        elif not found:
            self.add_error(kind, f"No registered {kind} is named “{name}”.")
        else:
            ids = ", ".join(record.artifact_id for record in found)
            self.add_error(kind, f"Several {kind} artifacts are named “{name}” ({ids}): give the id.")

    def content(self, record: ArtifactRecord | None) -> ArtifactContent:
        """What to store: the edited fields over what `record` (as read now) holds; every other
        field keeps its current value, so another writer's change to it is kept. None: a new
        artifact, all from the form."""
        edited = set(self.fields) if record is None else set(self.edited)

        def value(name: str, current: Any) -> Any:
            return self.cleaned_data[name] if name in edited else current

        artifact_type = value("artifact_type", record and record.artifact_type)
        rating = dict((record and record.rating) or {})
        for key in SCORES:
            score = value(SCORE_PREFIX + key, rating.get(key))
            if score is None:
                rating.pop(key, None)
            else:
                rating[key] = score
        return ArtifactContent(
            artifact_type=artifact_type,
            name=value("name", record and record.name),
            url=value("url", record and record.url),
            artifact=record and record.artifact,
            rating=(rating or None) if artifact_type == "model" else None,
            **{f"{kind}_id": self.linked_ids.get(kind, getattr(record, f"{kind}_id", None)) for kind in LINK_KINDS},
        )
