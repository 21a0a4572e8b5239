"""prefect.yaml and deployments/ say the same thing; priorities map onto queues."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from deployments.apply import PREFECT_YAML
from seology.jobs.pool import QUEUES, queue_for_priority
from seology.jobs.queue import PRIORITY_STEP, scheduled_time_for
from seology.jobs.specs import DEPLOYMENTS, spec_by_name


def _yaml_deployments() -> dict[str, dict]:
    document = yaml.safe_load(PREFECT_YAML.read_text())
    return {d["name"]: d for d in document["deployments"]}


class TestPrefectYaml:
    def test_every_spec_is_declared_alike(self):
        """Each deployment spec has a prefect.yaml entry with the same entrypoint, queue, cron."""
        declared = _yaml_deployments()
        assert set(declared) == {spec.name for spec in DEPLOYMENTS}
        for spec in DEPLOYMENTS:
            entry = declared[spec.name]
            assert entry["entrypoint"] == spec.entrypoint
            assert entry["work_pool"] == {"name": "seology", "work_queue_name": spec.work_queue}
            crons = [s["cron"] for s in entry.get("schedules", [])]
            assert crons == ([spec.cron] if spec.cron else [])

    def test_schedules_take_the_timezone_setting(self):
        """Every schedule's timezone comes from SEOLOGY_TIMEZONE, filled in at deploy time."""
        for entry in _yaml_deployments().values():
            for schedule in entry.get("schedules", []):
                assert schedule["timezone"] == "{{ $SEOLOGY_TIMEZONE }}"

    def test_entrypoints_name_the_flows(self):
        """Each entrypoint imports to a flow whose name is the spec's flow name."""
        from prefect.flows import load_flow_from_entrypoint

        for spec in DEPLOYMENTS:
            flow = load_flow_from_entrypoint(spec.entrypoint)
            assert flow.name == spec.flow_name

    def test_unknown_short_name_is_refused(self):
        """A typo in a deployment name lists the known ones."""
        with pytest.raises(ValueError, match="known: crawl, analysis, daily, monthly, recover"):
            spec_by_name("dayly")


class TestPriorities:
    @pytest.mark.parametrize(
        ("priority", "queue"),
        [
            (10, "critical"),  # top of critical
            (9, "critical"),  # bottom of critical
            (8, "high"),
            (7, "high"),
            (6, "default"),
            (5, "default"),  # the default priority
            (4, "default"),
            (3, "low"),
            (1, "low"),  # lowest
        ],
    )
    def test_priority_maps_to_queue(self, priority, queue):
        """Job priorities 1–10 land in the queue docs/design.md names."""
        assert queue_for_priority(priority).name == queue

    @pytest.mark.parametrize("priority", [0, 11, -1])
    def test_out_of_range_priority_is_refused(self, priority):
        """Priorities outside 1–10 are an error, not a silent clamp."""
        with pytest.raises(ValueError, match="between 1 and 10"):
            queue_for_priority(priority)

    def test_queue_priorities_are_sequential(self):
        """Prefect serves queue priority 1 first; ours are 1–4 in order of importance."""
        assert [q.queue_priority for q in QUEUES] == [1, 2, 3, 4]

    def test_higher_priority_is_scheduled_earlier_within_a_queue(self):
        """Inside a queue, each priority step starts PRIORITY_STEP earlier, and no more."""
        now = datetime(2026, 1, 1, tzinfo=UTC)
        assert scheduled_time_for(4, now) == now
        assert scheduled_time_for(6, now) == now - 2 * PRIORITY_STEP
        assert scheduled_time_for(1, now) == now
        assert scheduled_time_for(10, now) == now - PRIORITY_STEP
