"""The Seology worker: Prefect's process worker with flow runs forked from a warm process."""
