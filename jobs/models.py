from django.conf import settings
from django.db import models

from jobs.steps_store import StoredObject


class Job(models.Model):
    """Stands for a Jobs item in the admin and in permissions; it has no table
    (the data is read through `jobs.gateway`)."""

    job_id = models.CharField(primary_key=True, max_length=255)

    class Meta:
        managed = False
        default_permissions = ("view", "change")

    def __str__(self):
        return self.job_id


class StaleKeyRepair(models.Model):
    """The admin's entry for stale execution_steps keys and orphan S3 objects. Repairs need the
    jobs change permission; viewing findings needs the view permission of this entry or of jobs."""

    finding_id = models.CharField(primary_key=True, max_length=1024)

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = "stale key repair"

    def __str__(self):
        return self.finding_id


class ObjectKeyField(models.BinaryField):
    """An S3 object key (or a key some job names) as UTF-8 bytes, lone surrogates kept
    ("surrogatepass"): equal keys are equal bytes on every database, and PostgreSQL, which refuses
    NUL in text, takes it."""

    def to_python(self, value):
        return value if isinstance(value, str) else bytes(value).decode("utf-8", "surrogatepass")

    def from_db_value(self, value, expression, connection):
        return None if value is None else self.to_python(value)

    def get_prep_value(self, value):
        return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value

    def value_to_string(self, obj):
        return self.value_from_object(obj)  # the key itself (dumpdata), not BinaryField's base64


class Scan(models.Model):
    """One stale-key scan of the Jobs table and the bucket: the record the repairs page and
    `GET /api/repairs/` show, so viewing findings costs no AWS request. Its table read is split
    into `ScanSegment`s (DynamoDB's parallel scan) that any worker runs and resumes."""

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUSES = [(QUEUED, "queued"), (RUNNING, "running"), (DONE, "done"), (FAILED, "failed")]

    kinds = models.JSONField()
    segments = models.PositiveSmallIntegerField()
    min_orphan_age = models.PositiveIntegerField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    origin = models.CharField(max_length=16)  # "admin", "api", "command", "schedule"
    schedule_slot = models.BigIntegerField(null=True, blank=True, unique=True)  # one scheduled scan per period
    status = models.CharField(max_length=8, choices=STATUSES, default=QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Totals over the segments, raised page by page with each segment's own counters.
    items_scanned = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    requests = models.BigIntegerField(default=0)
    capacity_units = models.FloatField(null=True, blank=True)  # only when DynamoDB reports it
    objects_listed = models.BigIntegerField(default=0)
    list_requests = models.BigIntegerField(default=0)  # ListObjectsV2 requests of the listing
    findings_count = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    # The listing of jobs/ runs once every segment is done, under its own lease (see ScanSegment).
    listing_owner = models.CharField(max_length=32, blank=True)
    listing_lease_until = models.DateTimeField(null=True, blank=True)
    # The listing records page by page (`ListedObject`): a run that takes it over lists on from
    # the last key recorded (S3's StartAfter), and once it is done, only makes the findings.
    listing_last_key = ObjectKeyField(null=True, blank=True)  # None: from the start
    listing_done = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "-finished_at"])]

    def __str__(self):
        return f"Scan {self.pk} ({self.status})"

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class ScanSegment(models.Model):
    """One DynamoDB scan segment of a scan. `last_key` (the LastEvaluatedKey of the last page
    recorded) moves in the same transaction as that page's counters and records, so a worker
    killed mid-segment loses nothing and another resumes after the last recorded page.

    `owner` fences: a run holds the segment while `owner` is its token and `lease_until` is ahead;
    every page renews the lease on condition that `owner` is unchanged. A lease that expires (the
    worker died) is reclaimed by any worker: a new token and a new task, from `last_key`."""

    PENDING, RUNNING, DONE = "pending", "running", "done"

    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="segment_set")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=8, default=PENDING)
    owner = models.CharField(max_length=32)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_key = models.TextField(blank=True)  # stored_item_text() of the key; empty: from the start
    items_scanned = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    requests = models.BigIntegerField(default=0)
    capacity_units = models.FloatField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)  # 1 + the times it was resumed after a lost lease

    class Meta:
        ordering = ["scan", "number"]
        constraints = [models.UniqueConstraint(fields=["scan", "number"], name="one_row_per_scan_segment")]
        indexes = [models.Index(fields=["status", "lease_until"])]

    def __str__(self):
        return f"Scan {self.scan_id} segment {self.number}"


class ScannedItem(models.Model):
    """An item a segment read that the findings depend on (an item with a key, projected as the
    key scan projects it, or an item over the offload margin), kept until the scan's findings are
    made from them after the listing of jobs/. Kept as `stored_item_text()`: ASCII JSON text of
    DynamoDB's typed form, so every type survives and no database refuses a character (PostgreSQL
    refuses NUL in text and in jsonb)."""

    KEYED, INLINE = "keyed", "inline"

    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="+")
    read = models.CharField(max_length=8)  # KEYED or INLINE
    item = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["scan", "read", "id"])]  # walked in batches by id

    def __str__(self):
        return f"Scan {self.scan_id} {self.read} item {self.pk}"


class ScanNamedKey(models.Model):
    """A key some job's key attribute names (`key_names()`, whatever its type), recorded with the
    page of the segment that read the job; only keys that could be a listed object's (under
    `jobs/`, within S3's key length) are kept. An object none of them names is an orphan."""

    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="+")
    key = ObjectKeyField()

    class Meta:
        indexes = [models.Index(fields=["scan", "key"])]

    def __str__(self):
        return f"Scan {self.scan_id} named key {self.key!r}"


class ListedObject(models.Model):
    """An object the scan's listing of `jobs/` gave, with what a finding needs of it."""

    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="+")
    key = ObjectKeyField()
    size = models.BigIntegerField()
    last_modified = models.DateTimeField(null=True)
    etag = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["scan", "key"]), models.Index(fields=["scan", "id"])]

    def __str__(self):
        return f"Scan {self.scan_id} listed {self.key!r}"

    def stored_object(self) -> StoredObject:
        return StoredObject(key=self.key, size=self.size, last_modified=self.last_modified, etag=self.etag or None)


class ScanFinding(models.Model):
    """One finding of a completed scan: `Finding.to_dict()` as ASCII JSON text (job ids and keys
    are upstream's strings, which may hold NUL). `order` is the scanner's order as bytes
    (`Finding.order_bytes`): findings are written batch by batch, and compared bytewise it sorts
    the same on every database, whatever its collation."""

    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="finding_set")
    order = models.BinaryField()
    kind = models.CharField(max_length=32)
    data = models.TextField()

    class Meta:
        ordering = ["scan", "order"]
        # Not indexed on `order`: it holds a job id and a key as upstream wrote them, longer than
        # a PostgreSQL btree row may be; one scan's findings are sorted when read.
        indexes = [models.Index(fields=["scan", "kind"])]

    def __str__(self):
        return f"Scan {self.scan_id} finding {self.pk} ({self.kind})"
