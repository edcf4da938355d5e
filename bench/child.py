"""A child process of the memory benchmark (`python -m bench.child ...`). It sets Django up from
the environment the benchmark gave it and gets ready (AWS clients built, code paths warmed), then
resets its peak RSS to its current RSS (Linux: `/proc/self/clear_refs`), does one thing, and
prints one JSON line: the RSS before the work, the peak during it, and the process's peak over its
whole life (KiB, from /proc/self/status).

    python -m bench.child repair [repair_stale_keys options]
    python -m bench.child get <path> <warm-up path>     (token in BENCH_TOKEN)
"""

import io
import json
import os
import re
import sys
from collections.abc import Callable


def status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return int(re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE).group(1))


def measured(work: Callable[[], dict]) -> dict:
    startup_peak = status_kib("VmHWM")
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
        clear_refs.write("5")  # the peak RSS restarts from the current RSS
    baseline = status_kib("VmRSS")
    result = work()
    peak = status_kib("VmHWM")
    return {**result, "baseline_kib": baseline, "peak_kib": peak, "process_peak_kib": max(startup_peak, peak)}


def repair(options: list[str]) -> dict:
    from django.conf import settings
    from django.core.management import call_command

    from core.dynamo.connection import dynamodb_table
    from core.storage import s3_storage

    dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
    s3_storage().s3_client()
    output = io.StringIO()

    def work() -> dict:
        call_command("repair_stale_keys", "--json", *options, stdout=output)
        return {"findings": len(json.loads(output.getvalue())["findings"])}

    return measured(work)


def get(path: str, warm_up_path: str) -> dict:
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {os.environ['BENCH_TOKEN']}")
    if client.get(warm_up_path).status_code != 200:
        raise SystemExit(f"GET {warm_up_path} failed")

    def work() -> dict:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
        return {"response_bytes": len(response.content)}

    return measured(work)


def main() -> None:
    import django

    django.setup()
    what, *arguments = sys.argv[1:]
    print(json.dumps(repair(arguments) if what == "repair" else get(*arguments)))


if __name__ == "__main__":
    main()
