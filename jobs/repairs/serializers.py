"""API shapes for stale-key findings (the same document as `repair_stale_keys --json`)."""

from rest_framework import serializers

from jobs.models import Scan

from .kinds import KINDS
from .scans import scan_progress


class FindingsQuerySerializer(serializers.Serializer):
    kind = serializers.MultipleChoiceField(
        choices=KINDS,
        required=False,
        help_text="Repeat for several kinds. Default: every kind the scan checked.",
    )


class FindingSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    job_id = serializers.CharField()
    s3_key = serializers.CharField(allow_null=True)
    detail = serializers.CharField()


class ScanSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="queued, running, done or failed")
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    items_scanned = serializers.IntegerField()
    segments = serializers.IntegerField()


class ScanSerializer(ScanSummarySerializer):
    kinds = serializers.ListField(child=serializers.CharField(), help_text="The kinds of finding it checks.")
    origin = serializers.CharField(help_text="admin, api, command or schedule")
    created_at = serializers.DateTimeField()
    segments_done = serializers.IntegerField()
    resumed = serializers.IntegerField(help_text="Segments taken over from a worker that stopped, and resumed.")
    bytes_read = serializers.IntegerField(help_text="DynamoDB size of the items the Scan requests returned.")
    requests = serializers.IntegerField(help_text="Scan requests made to DynamoDB.")
    capacity_units = serializers.FloatField(allow_null=True, help_text="Read units, when DynamoDB reports them.")
    objects_listed = serializers.IntegerField()
    list_requests = serializers.IntegerField(help_text="ListObjectsV2 requests of the listing of jobs/ in S3.")
    findings_count = serializers.IntegerField(allow_null=True, help_text="Once done.")
    error = serializers.CharField(allow_blank=True, help_text="Why the scan failed.")


class FindingsSerializer(serializers.Serializer):
    findings = FindingSerializer(many=True)
    repaired = serializers.IntegerField(help_text="Always 0 here: the API only reports.")
    scan = ScanSummarySerializer(allow_null=True, help_text="The scan the findings come from (null: none yet).")


def scan_document(scan: Scan, *, summary: bool = False) -> dict:
    if summary:
        return ScanSummarySerializer(scan).data
    return ScanSerializer({**vars(scan), "id": scan.pk, **scan_progress(scan)}).data
