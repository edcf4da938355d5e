"""API shapes for stale-key findings (the same document as `repair_stale_keys --json`)."""

from rest_framework import serializers

from .kinds import KINDS


class FindingsQuerySerializer(serializers.Serializer):
    kind = serializers.MultipleChoiceField(
        choices=KINDS,
        required=False,
        help_text="Repeat for several kinds. Default: both_present, dangling_key and orphan_object; "
        "oversize_inline reads every job with inline steps in full, so it is checked only when asked for.",
    )


class FindingSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    job_id = serializers.CharField()
    s3_key = serializers.CharField(allow_null=True)
    detail = serializers.CharField()


class FindingsSerializer(serializers.Serializer):
    findings = FindingSerializer(many=True)
    repaired = serializers.IntegerField(help_text="Always 0 here: the API only reports.")
