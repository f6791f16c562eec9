"""The engines dbt may build in besides the working DuckDB file, and how tables cross to them."""
