"""The API's rate limits: DRF's anonymous and per-user throttles, counting requests per window.

DRF's own throttles keep the time of every request in the window, read and rewrite that list on
each request (a cost that grows with the rate: at 6,000/minute a busy client's list is
thousands of entries, unpickled and pickled on every request) and can lose counts when two
workers rewrite it at once on a shared cache. These keep one counter per client and window,
raised with the cache's atomic increment: the same work at any rate, exact on a shared cache. The
window is fixed (a minute starts on the minute), so a client may burst up to twice its rate
across a window's end; Retry-After says when the current window ends.
"""

from rest_framework import throttling


class WindowCounter(throttling.SimpleRateThrottle):
    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        counter = f"{self.key}:{window}"
        try:
            count = self.cache.incr(counter)
        except ValueError:  # the window's first request (or its counter was evicted)
            # Kept a whole window after it is first counted, so it outlives its window.
            count = 1 if self.cache.add(counter, 1, self.duration) else self.cache.incr(counter)
        return count <= self.num_requests

    def wait(self) -> float:
        return self.window_ends - self.now


class AnonRateThrottle(WindowCounter, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(WindowCounter, throttling.UserRateThrottle):
    pass
