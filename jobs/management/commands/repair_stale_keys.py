import json
from argparse import ArgumentTypeError
from itertools import zip_longest

from django.conf import settings
from django.core.management.base import CommandError

from core.commands import AwsCommand
from jobs.repairs.findings import DEFAULT_MIN_ORPHAN_AGE, OVERSIZE_INLINE
from jobs.repairs.kinds import DEFAULT_KINDS, KINDS
from jobs.repairs.repairer import FAILED, REPAIRED, SKIPPED, Outcome, Repairer
from jobs.repairs.scanner import MAX_SEGMENTS, ScanProgress, ScanReport, stale_keys_scan
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
        return DEFAULT_KINDS
    return KINDS if ALL in chosen else tuple(kind for kind in KINDS if kind in chosen)


class Command(AwsCommand):
    help = (
        "Find stale execution_steps keys and orphan S3 objects (a dry run: nothing is changed), "
        "and repair them with --apply. Scales to large tables: one projected, paged Scan "
        "(--segments N in parallel) and one listing of jobs/."
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
            help=f"Kinds to look for: {', '.join(KINDS)}, or {ALL}. Default: {', '.join(DEFAULT_KINDS)} "
            f"({OVERSIZE_INLINE} reads every job with inline steps in full, so it is checked only when asked for).",
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
        log_user = stale_key_repair_user(username=user) if apply else None
        on_terminal = self.stderr.isatty()
        progress = ScanProgress(report=self._show_progress if on_terminal else None)
        report = stale_keys_scan(kinds=kinds, segments=segments, min_orphan_age=min_orphan_age, progress=progress)
        if on_terminal:
            self.stderr.write("\r\033[K", ending="")
        outcomes = []
        if apply:
            repairer = Repairer(min_orphan_age=min_orphan_age)
            for number, finding in enumerate(report.findings, start=1):
                if on_terminal:
                    self.stderr.write(f"\r\033[Krepairing {number}/{len(report.findings)}", ending="")
                outcomes.append(stale_key_repair(finding=finding, user=log_user, repairer=repairer))
            if on_terminal:
                self.stderr.write("\r\033[K", ending="")
        repaired = sum(1 for outcome in outcomes if outcome.status == REPAIRED)
        if options["json"]:
            self.stdout.write(json.dumps(stale_keys_document(findings=report.findings, repaired=repaired)))
            for outcome in outcomes:
                if outcome.status != REPAIRED:
                    self.stderr.write(
                        f"{outcome.status}: {outcome.finding.kind} {outcome.finding.job_id}: {outcome.message}"
                    )
        else:
            self._print(report, outcomes, apply=apply)
        failed = sum(1 for outcome in outcomes if outcome.status == FAILED)
        if failed:
            raise CommandError(f"{failed} of {len(outcomes)} repairs failed (AWS refused or was unreachable).")

    def _show_progress(self, progress: ScanProgress) -> None:
        self.stderr.write(
            f"\r\033[Kscanned {progress.items:,} items · {progress.findings:,} findings so far · "
            f"{progress.rate:,.0f} items/s",
            ending="",
        )

    def _print(self, report: ScanReport, outcomes: list[Outcome], *, apply: bool) -> None:
        for finding, outcome in zip_longest(report.findings, outcomes):  # outcomes: one per finding, or none
            self.stdout.write(f"{finding.kind:<16} {finding.job_id}  {finding.s3_key or ''}".rstrip())
            self.stdout.write(f"    {finding.detail}")
            if outcome is not None:
                style = {REPAIRED: self.style.SUCCESS, FAILED: self.style.ERROR}.get(outcome.status, self.style.WARNING)
                self.stdout.write(style(f"    {outcome.status}: {outcome.message}"))
        counts = ", ".join(f"{kind} {count}" for kind, count in report.counts().items())
        self.stdout.write(
            f"Scanned {report.describe_scans()}, and listed {report.objects_listed:,} objects under "
            f"s3://{settings.AWS_STORAGE_BUCKET_NAME}/jobs/ in {report.seconds:.1f} s. "
            f"Findings: {len(report.findings)} ({counts})."
        )
        if OVERSIZE_INLINE not in report.kinds:
            self.stdout.write(f"{OVERSIZE_INLINE} not checked: add --kind {OVERSIZE_INLINE} (or --kind {ALL}).")
        if not apply:
            self.stdout.write(
                "Dry run: nothing was changed. Repair with --apply." if report.findings else "Nothing to repair."
            )
            return
        tally = {status: sum(1 for outcome in outcomes if outcome.status == status) for status in STATUSES}
        self.stdout.write(", ".join(f"{status} {count}" for status, count in tally.items()).capitalize() + ".")
