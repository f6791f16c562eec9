"""The Dagster wiring, and nothing else: assets, checks, jobs, schedules, sensors, partitions and
resources, built from Settings by the factories orchestration/definitions.py assembles. The plain
Python beside it (ingestion, quality, publish, reports, generator, guard, night) imports no Dagster."""
