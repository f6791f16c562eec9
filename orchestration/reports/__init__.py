"""Reports drawn from the published file (plain Python; nothing here knows Dagster)."""
