"""API input (validated, strict JSON types, bounded) and output (every attribute of the item, with
`stages_snapshot` parsed from either storage form) for projects."""

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from core.api.paging import PageQuerySerializer
from core.display import DISPLAY_ERROR_HELP, displayed
from core.dynamo.item_size import value_size
from core.dynamo.values import to_dynamodb
from core.errors import InvalidInput

from .gateway import SNAPSHOT, ProjectRecord
from .snapshot import STAGE_STATUSES

MAX_DATA_BYTES = 64 * 1024
MAX_DATA_DEPTH = 16  # DynamoDB refuses documents nested deeper than 32 levels
MAX_TEXT = 4000
MAX_LOG_ENTRIES = 100
MAX_ARTIFACTS = 1000
MAX_ARTIFACT_PATH = 1024  # an S3 key's limit


class StrictCharField(serializers.CharField):
    """A JSON string only: DRF's CharField would quietly turn 1.5 into "1.5"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    """A JSON number only: DRF's FloatField would accept "12" and true."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictInputSerializer(serializers.Serializer):
    """Refuses fields it does not declare, which DRF would otherwise drop without a word."""

    refuses_unknown_fields = True  # the schema says so

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["This field cannot be written here."] for name in unknown})
        return attrs


# ---- input ----


class ProjectListQuerySerializer(PageQuerySerializer):
    status = StrictCharField(required=False, max_length=64)


class ProjectUpdateSerializer(StrictInputSerializer):
    """Top-level progress attributes; null removes the attribute."""

    status = StrictCharField(required=False, max_length=64)
    current_stage = StrictCharField(required=False, allow_null=True, max_length=128)
    progress = StrictFloatField(required=False, allow_null=True, min_value=0, max_value=100)
    name = StrictCharField(required=False, allow_null=True, max_length=256)
    data = serializers.DictField(required=False, allow_null=True)
    error = StrictCharField(required=False, allow_null=True, max_length=MAX_TEXT)

    def validate_data(self, value: dict | None) -> dict | None:
        if value is None:
            return None
        if nesting_depth(value) > MAX_DATA_DEPTH:
            raise serializers.ValidationError(f"Nested more than {MAX_DATA_DEPTH} levels deep.")
        try:
            size = value_size(to_dynamodb(value, "data"))
        except InvalidInput as err:
            raise serializers.ValidationError(err.detail) from err
        if size > MAX_DATA_BYTES:
            raise serializers.ValidationError(f"{size} bytes stored; at most {MAX_DATA_BYTES} are accepted.")
        return value


class StageUpdateSerializer(StrictInputSerializer):
    """Fields of one stage; `logs` are appended to the stage's logs."""

    status = serializers.ChoiceField(required=False, choices=STAGE_STATUSES)
    started_at = serializers.DateTimeField(required=False, allow_null=True)
    completed_at = serializers.DateTimeField(required=False, allow_null=True)
    error = StrictCharField(required=False, allow_null=True, max_length=MAX_TEXT)
    logs = serializers.ListField(
        required=False,
        max_length=MAX_LOG_ENTRIES,
        child=StrictCharField(max_length=MAX_TEXT, trim_whitespace=False),
    )


class StageArtifactsSerializer(StrictInputSerializer):
    artifacts = serializers.ListField(max_length=MAX_ARTIFACTS, child=StrictCharField(max_length=MAX_ARTIFACT_PATH))


def nesting_depth(value: Any) -> int:
    """How many maps and lists deep `value` goes (iteratively: input may be nested very deeply)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, (dict, list)):
            deepest = max(deepest, depth)
            children = current.values() if isinstance(current, dict) else current
            pending.extend((child, depth + 1) for child in children)
    return deepest


# ---- output ----


class StageSerializer(serializers.Serializer):
    """The known fields of a stage, for the schema. Any may be missing; upstream's other fields are
    returned as well."""

    stage = serializers.CharField(required=False, help_text="The stage identifier used in URLs.")
    stage_number = serializers.IntegerField(required=False)
    stage_name = serializers.CharField(required=False, help_text="Display name; may be non-ASCII.")
    status = serializers.CharField(required=False)
    output_data = serializers.DictField(required=False, help_text='{"artifacts": ["path", ...], ...}')
    logs = serializers.ListField(required=False, child=serializers.JSONField())
    started_at = serializers.CharField(required=False, allow_null=True)
    completed_at = serializers.CharField(required=False, allow_null=True)
    error = serializers.JSONField(required=False, allow_null=True)


class StagesSnapshotSerializer(serializers.Serializer):
    total = serializers.IntegerField(required=False)
    completed = serializers.IntegerField(required=False)
    stages = StageSerializer(many=True, required=False)


class ProjectSerializer(serializers.Serializer):
    """Every attribute of the item as stored (upstream writers add their own), with
    `stages_snapshot` an object whichever form it is stored in, or null with the reason in
    `stages_snapshot_error` when it cannot be parsed."""

    project_id = serializers.CharField()
    status = serializers.CharField(required=False)
    requirement = serializers.CharField(required=False)
    current_stage = serializers.CharField(required=False)
    progress = serializers.JSONField(required=False)
    created_at = serializers.CharField(required=False)
    updated_at = serializers.CharField(required=False)
    stages_snapshot = StagesSnapshotSerializer(allow_null=True)
    stages_snapshot_error = serializers.CharField(allow_null=True)
    display_error = serializers.CharField(allow_null=True, help_text=DISPLAY_ERROR_HELP)

    def to_representation(self, instance: ProjectRecord) -> dict[str, Any]:
        reading = instance.snapshot
        attributes = {name: value for name, value in instance.item.items() if name != SNAPSHOT}
        # Parsed from JSON text or read as a map: either way the one conversion shows it.
        shown = displayed({**attributes, SNAPSHOT: reading.document, "stages_snapshot_error": reading.error})
        return {**shown.value, "display_error": shown.error}


@extend_schema_serializer(many=False)  # one page object, not a list of them
class ProjectPageSerializer(serializers.Serializer):
    results = ProjectSerializer(many=True)
    next = serializers.URLField(allow_null=True)
