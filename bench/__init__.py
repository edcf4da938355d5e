"""`make bench`: the performance benchmark (request counts, overhead ratios, repair-scan scaling,
offload sizing and memory), measured in one run against its own moto server and written to
docs/BENCHMARKS.md. Not part of the test suite: it measures ratios, it does not time tests."""
