"""The load benchmark (``bench/load_benchmark.py``): the tenant's seed, the locust mix, the
report."""
