"""API input and output shapes for jobs (input and output serializers kept apart)."""

from collections.abc import Mapping
from datetime import datetime

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from core.api.paging import PageQuerySerializer
from core.display import DISPLAY_ERROR_HELP, displayed

from .gateway import LOCATIONS, STEPS, STEPS_KEY, JobRecord
from .services import PROTECTED_ATTRIBUTES, JobDetail

MAX_ARTIFACTS = 1000


class JobListQuerySerializer(PageQuerySerializer):
    status = serializers.CharField(required=False, max_length=256)
    location = serializers.ChoiceField(choices=LOCATIONS, required=False, help_text="Where the steps live.")


class JobSerializer(serializers.Serializer):
    """A job as listed: every attribute of the item (other services add their own) except the
    steps, and where the steps live. Listing never reads S3."""

    job_id = serializers.CharField()
    status = serializers.CharField(required=False)
    created_at = serializers.CharField(required=False)
    updated_at = serializers.CharField(required=False)
    artifacts = serializers.ListField(child=serializers.CharField(), required=False)
    execution_steps_location = serializers.ChoiceField(choices=LOCATIONS)
    execution_steps_s3_key = serializers.CharField(allow_null=True)
    display_error = serializers.CharField(allow_null=True, help_text=DISPLAY_ERROR_HELP)

    def to_representation(self, record: JobRecord) -> dict:
        return shown_with_error(self.stored_fields(record))

    def stored_fields(self, record: JobRecord) -> dict:
        attributes = {name: value for name, value in record.item.items() if name not in (STEPS, STEPS_KEY)}
        return {
            **attributes,
            "execution_steps_location": record.steps_location,
            "execution_steps_s3_key": record.steps_key,
        }


def shown_with_error(fields: dict) -> dict:
    shown = displayed(fields)
    return {**shown.value, "display_error": shown.error}


@extend_schema_serializer(many=False)  # the page is one object, though it answers the list action
class JobPageSerializer(serializers.Serializer):
    results = JobSerializer(many=True)
    next = serializers.URLField(allow_null=True)


class JobDetailSerializer(JobSerializer):
    """A job with its steps, loaded from S3 when offloaded; `execution_steps_error` says why they
    could not be read (the job is returned all the same)."""

    execution_steps = serializers.ListField(child=serializers.DictField(), allow_null=True)
    execution_steps_error = serializers.CharField(allow_null=True)

    def to_representation(self, detail: JobDetail) -> dict:
        return shown_with_error(
            {
                **self.stored_fields(detail.record),
                "execution_steps": detail.steps.steps,
                "execution_steps_error": detail.steps.error,
            }
        )


class TimestampField(serializers.CharField):
    """An ISO 8601 timestamp, kept as the text given (the table stores strings such as
    2025-11-07T09:12:03.120Z)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=64, **kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            datetime.fromisoformat(text)
        except ValueError:
            raise serializers.ValidationError("Enter an ISO 8601 timestamp, such as 2025-11-07T09:12:03.120Z.")
        return text


class JobUpdateSerializer(serializers.Serializer):
    """A partial update. Only these progress fields may be set; `execution_steps` replaces the
    steps (stored inline or in S3, by the item's size)."""

    refuses_unknown_fields = True  # the schema says so

    status = serializers.CharField(max_length=64)
    current_step = serializers.CharField(max_length=256, allow_null=True)
    progress = serializers.FloatField(min_value=0, max_value=100)
    error = serializers.CharField(max_length=10_000, allow_null=True, allow_blank=True)
    started_at = TimestampField(allow_null=True)
    completed_at = TimestampField(allow_null=True)
    artifacts = serializers.ListField(child=serializers.CharField(max_length=1024), max_length=MAX_ARTIFACTS)
    execution_steps = serializers.ListField(child=serializers.DictField())

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [
                            "This field cannot be written."
                            if name in PROTECTED_ATTRIBUTES
                            else "Unknown field: this endpoint updates " + ", ".join(self.fields) + "."
                        ]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)
