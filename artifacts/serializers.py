"""API input and output shapes for the registry (kept apart: the server fills ids and names)."""

from urllib.parse import urlsplit

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from core.api.paging import PageQuerySerializer
from core.display import DISPLAY_ERROR_HELP, displayed

from .gateway import MAX_KEY_BYTES
from .names import MAX_NAME_LENGTH, normalize_name
from .rating import rating_problems
from .records import ARTIFACT_TYPES


class ArtifactQuerySerializer(PageQuerySerializer):
    artifact_type = serializers.ChoiceField(choices=ARTIFACT_TYPES, required=False)
    url = serializers.CharField(required=False, max_length=MAX_KEY_BYTES, help_text="Exact url.")
    name = serializers.CharField(
        required=False,
        max_length=MAX_NAME_LENGTH,
        help_text="Normalized like stored names, then matched as a substring of name_normalized.",
    )


class ArtifactWriteSerializer(serializers.Serializer):
    artifact_type = serializers.ChoiceField(choices=ARTIFACT_TYPES)
    name = serializers.CharField(max_length=MAX_NAME_LENGTH)
    url = serializers.URLField(max_length=MAX_KEY_BYTES, help_text="http(s); cannot change once registered.")
    artifact = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="A JSON object, stored serialized; the server sets its metadata.name/id/type and data.url.",
    )
    rating = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text=(
            "Models only: a JSON object. Known scores (net_score, ramp_up_time, bus_factor, performance_claims, "
            "license, dataset_and_code_score, dataset_quality, code_quality, reproducibility, reviewedness, "
            "tree_score) are numbers in [0, 1]; size_score is an object of per-device scores in [0, 1]; keys "
            "ending in _latency are non-negative numbers; other keys are kept as given."
        ),
    )
    dataset_id = serializers.CharField(
        required=False, allow_null=True, max_length=MAX_KEY_BYTES, help_text="A registered dataset artifact."
    )
    code_id = serializers.CharField(
        required=False, allow_null=True, max_length=MAX_KEY_BYTES, help_text="A registered code artifact."
    )

    def validate_name(self, value):
        if not normalize_name(value):
            raise serializers.ValidationError("The name needs at least one letter or digit.")
        return value

    def validate_url(self, value):
        if urlsplit(value).scheme not in {"http", "https"}:
            raise serializers.ValidationError("Use an http or https url.")
        return value

    def validate_artifact(self, value):
        if value is not None and not isinstance(value, dict):
            raise serializers.ValidationError("The artifact must be a JSON object.")
        return value

    def validate_rating(self, value):
        if value is not None:
            problems = rating_problems(value)
            if problems:
                raise serializers.ValidationError(problems)
        return value

    def validate(self, attrs):
        if attrs.get("rating") is not None and attrs["artifact_type"] != "model":
            raise serializers.ValidationError({"rating": ["Only models have a rating."]})
        return attrs


class ArtifactSerializer(serializers.Serializer):
    """An artifact as read: `artifact` and `rating` parsed from their stored JSON strings; when one
    cannot be parsed it is null and `artifact_error`/`rating_error` says why."""

    artifact_id = serializers.CharField()
    artifact_type = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    name_normalized = serializers.CharField(allow_null=True)
    url = serializers.CharField(allow_null=True)
    artifact = serializers.JSONField(allow_null=True)
    artifact_error = serializers.CharField(allow_null=True)
    rating = serializers.JSONField(allow_null=True)
    rating_error = serializers.CharField(allow_null=True)
    dataset_id = serializers.CharField(allow_null=True)
    dataset_name = serializers.CharField(allow_null=True)
    dataset_url = serializers.CharField(allow_null=True)
    code_id = serializers.CharField(allow_null=True)
    code_name = serializers.CharField(allow_null=True)
    code_url = serializers.CharField(allow_null=True)
    display_error = serializers.CharField(allow_null=True, help_text=DISPLAY_ERROR_HELP)

    def to_representation(self, instance) -> dict:
        shown = displayed({name: getattr(instance, name) for name in self.fields if name != "display_error"})
        return {**shown.value, "display_error": shown.error}


@extend_schema_serializer(many=False)  # the list action answers one page object, not an array
class ArtifactPageSerializer(serializers.Serializer):
    results = ArtifactSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null after the last one.")
