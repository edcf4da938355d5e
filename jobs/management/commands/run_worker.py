"""`manage.py run_worker`: a worker of the project's task engine, until stopped.

It is django-tasks-db's `db_worker` (which claims queued tasks from the database with
SELECT ... FOR UPDATE SKIP LOCKED, or an exclusive transaction on SQLite), plus what a task
engine does not do by itself: every few seconds, a thread hands segments whose worker died
(an expired lease) to new tasks, starts the scheduled scan when one is due, and deletes the scans
past `REPAIR_SCANS_KEPT`."""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from jobs.repairs.scans import scans_prune, scans_reclaim, scans_schedule

logger = logging.getLogger(__name__)


class Command(DbWorkerCommand):
    help = "Run a background worker (stale-key scans) until stopped; resumes the segments of dead workers."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # A worker reloaded mid-task would leave its segment to the lease: reload only when asked.
        parser.set_defaults(reload=False)

    def handle(self, *args, **options):
        stop = threading.Event()
        maintenance = threading.Thread(target=self._maintain, args=(stop,), name="scan-maintenance", daemon=True)
        maintenance.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
            maintenance.join()

    @staticmethod
    def _maintain(stop: threading.Event) -> None:
        # A third of the lease: a dead worker's segment waits at most about 1.3 leases.
        interval = max(settings.REPAIR_SCAN_LEASE_SECONDS / 3, 0.2)
        try:
            while not stop.wait(interval):
                try:
                    handed = scans_reclaim()
                    if handed:
                        logger.info("Handed %d expired scan segment(s) to new tasks.", handed)
                    scans_schedule()
                    scans_prune()
                except Exception:  # the worker goes on; the next round tries again
                    logger.exception("Scan maintenance failed.")
                finally:
                    close_old_connections()
        finally:
            connections.close_all()  # this thread's own connections
