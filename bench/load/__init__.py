"""Scale-out load test on PostgreSQL with several workers (`python -m bench.load.run`)."""
