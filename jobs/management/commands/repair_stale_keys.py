from argparse import ArgumentTypeError
from itertools import zip_longest

from django.conf import settings
from django.core.management.base import CommandError

from core.commands import AwsCommand
from core.display import displayed
from core.stored_json import write_json
from jobs.models import Scan
from jobs.repairs.findings import DEFAULT_MIN_ORPHAN_AGE, Finding
from jobs.repairs.kinds import KINDS
from jobs.repairs.repairer import FAILED, REPAIRED, SKIPPED, Outcome, Repairer
from jobs.repairs.scanner import MAX_SEGMENTS, ScanProgress
from jobs.repairs.scans import scan_create, scan_findings, scan_run_here
from jobs.repairs.services import stale_key_repair, stale_key_repair_user, stale_keys_document

ALL = "all"
STATUSES = (REPAIRED, SKIPPED, FAILED)


def segment_count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_SEGMENTS:
        raise ArgumentTypeError(f"between 1 and {MAX_SEGMENTS}")
    return value


def seconds(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ArgumentTypeError("cannot be negative")
    return value


def selected_kinds(chosen: list[str] | None) -> tuple[str, ...]:
    if not chosen:
        return KINDS
    return KINDS if ALL in chosen else tuple(kind for kind in KINDS if kind in chosen)


class Command(AwsCommand):
    help = (
        "Find stale execution_steps keys and orphan S3 objects (a dry run: nothing is changed), "
        "and repair them with --apply. One paged Scan of the Jobs table (--segments N in parallel) "
        "and one listing of jobs/, recorded as the latest scan (what the admin page and the API show)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Repair what is found (default: only report).")
        parser.add_argument(
            "--kind",
            dest="kinds",
            action="extend",
            nargs="+",
            choices=[*KINDS, ALL],
            metavar="KIND",
            help=f"Kinds to look for: {', '.join(KINDS)}, or {ALL} (the default).",
        )
        parser.add_argument(
            "--json", action="store_true", help='Print one JSON document: {"findings": [...], "repaired": N}.'
        )
        parser.add_argument(
            "--min-orphan-age",
            type=seconds,
            default=DEFAULT_MIN_ORPHAN_AGE,
            metavar="SECONDS",
            help="Delete orphan objects only when older than this (default: %(default)s).",
        )
        parser.add_argument(
            "--segments",
            type=segment_count,
            default=1,
            metavar="N",
            help=f"Scan in N parallel segments (1-{MAX_SEGMENTS}; default: 1). Findings are the same for any N.",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Record applied repairs in the admin log as this user (default: the inactive system user "
            "'repair_stale_keys', created when first needed).",
        )

    def handle(self, *, apply, kinds, min_orphan_age, segments, user, **options):
        kinds = selected_kinds(kinds)
        named_user = stale_key_repair_user(username=user) if user else None
        log_user = named_user or (stale_key_repair_user() if apply else None)
        on_terminal = self.stderr.isatty()
        progress = ScanProgress(report=self._show_progress if on_terminal else None)
        scan = scan_create(
            origin="command", user=named_user, kinds=kinds, segments=segments, min_orphan_age=min_orphan_age
        )
        scan = scan_run_here(scan, on_page=lambda page: progress.add(items=page.scanned, findings=0))
        if on_terminal:
            self._progress_line("")
        if scan.status != Scan.DONE:
            raise CommandError(f"Scan {scan.pk} did not complete here ({scan.status}); a worker finishes it.")
        findings = scan_findings(scan)
        outcomes = []
        if apply:
            repairer = Repairer(min_orphan_age=min_orphan_age)
            for number, finding in enumerate(findings, start=1):
                if on_terminal:
                    self._progress_line(f"repairing {number}/{len(findings)}")
                outcomes.append(stale_key_repair(finding=finding, user=log_user, repairer=repairer))
            if on_terminal:
                self._progress_line("")
        repaired = sum(1 for outcome in outcomes if outcome.status == REPAIRED)
        if options["json"]:
            document = stale_keys_document(findings=findings, repaired=repaired)
            self.stdout.write(write_json(displayed(document).value))
            for outcome in outcomes:
                if outcome.status != REPAIRED:
                    self.stderr.write(
                        f"{outcome.status}: {outcome.finding.kind} {outcome.finding.job_id}: {outcome.message}"
                    )
        else:
            self._print(scan, findings, outcomes, apply=apply)
        failed = sum(1 for outcome in outcomes if outcome.status == FAILED)
        if failed:
            raise CommandError(f"{failed} of {len(outcomes)} repairs failed (AWS refused or was unreachable).")

    def _show_progress(self, progress: ScanProgress) -> None:
        self._progress_line(f"scanned {progress.items:,} items · {progress.rate:,.0f} items/s")

    def _progress_line(self, text: str) -> None:
        """Rewrite the terminal's progress line: plain text (stderr's default style is the error's)."""
        self.stderr.write(f"\r\033[K{text}", ending="", style_func=str)

    def _print(self, scan: Scan, findings: list[Finding], outcomes: list[Outcome], *, apply: bool) -> None:
        for finding, outcome in zip_longest(findings, outcomes):  # outcomes: one per finding, or none
            self.stdout.write(f"{finding.kind:<16} {finding.job_id}  {finding.s3_key or ''}".rstrip())
            self.stdout.write(f"    {finding.detail}")
            if outcome is not None:
                style = {REPAIRED: self.style.SUCCESS, FAILED: self.style.ERROR}.get(outcome.status, self.style.WARNING)
                self.stdout.write(style(f"    {outcome.status}: {outcome.message}"))
        counts = ", ".join(f"{kind} {sum(1 for f in findings if f.kind == kind)}" for kind in scan.kinds)
        self.stdout.write(
            f"Scan {scan.pk}: read {scan.items_scanned:,} items (Scan requests: {scan.requests:,}) and listed "
            f"{scan.objects_listed:,} objects under s3://{settings.AWS_STORAGE_BUCKET_NAME}/jobs/ (List requests: "
            f"{scan.list_requests:,}) in {scan.seconds:.1f} s. Findings: {len(findings)} ({counts})."
        )
        if not apply:
            self.stdout.write(
                "Dry run: nothing was changed. Repair with --apply." if findings else "Nothing to repair."
            )
            return
        tally = {status: sum(1 for outcome in outcomes if outcome.status == status) for status in STATUSES}
        self.stdout.write(", ".join(f"{status} {count}" for status, count in tally.items()).capitalize() + ".")
