"""Running test work in threads without losing what a thread raises."""

import threading
from collections.abc import Callable


def in_threads(*work: Callable[[], object], timeout: float = 300) -> list[BaseException]:
    """Run each callable in a thread of its own, wait for all, and return what any of them raised."""
    failures: list[BaseException] = []

    def main(task: Callable[[], object]) -> None:
        try:
            task()
        except BaseException as err:  # reported by the test, not lost in the thread
            failures.append(err)

    threads = [threading.Thread(target=main, args=(task,)) for task in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is still running"
    return failures
