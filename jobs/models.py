from django.db import models


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
