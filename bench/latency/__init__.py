"""Start latency of single jobs on an idle local stack (`python -m bench.latency.run`)."""
