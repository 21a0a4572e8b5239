"""The Prefect adapter: the one package that talks to Prefect's client.

`queue` is the facade the job API, the CLI and the tasks use (enqueue, read, cancel,
retry, delete); the private modules are its parts (client settings, run reads in batches,
the run cache and its event follower, the job view); `specs` and `pool` are the
deployments, work pool and queues as data; `schedules` pauses and resumes the cron
deployments.
"""

from __future__ import annotations
