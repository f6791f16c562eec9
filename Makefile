# The two commands a newcomer types are `make run` and `make test`; the rest are conveniences.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= $(shell command -v python3.11 || command -v python3)
INSTALLED := $(VENV)/.installed
SCALE ?= 1
SEED ?= 42

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export DAGSTER_HOME ?= $(CURDIR)/.dagster

.PHONY: install run test dev parse clean bench postgres-up postgres-down install-spark spark-up spark-down

# Recipes are not echoed (@): `make run` on a fresh clone should print what happened, not how.
# --compile-bytecode: uv leaves the bytecode to the first import, and where Python writes none
# (PYTHONDONTWRITEBYTECODE, a read-only install) every process that loads the definitions would
# compile Dagster's and dbt's sources again: about 2.5 s of CPU on each load.
$(INSTALLED): pyproject.toml
	@echo "installing into $(VENV) (a few minutes on a fresh clone)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	@$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -e '.[dev]' \
	  || $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@mkdir -p $(DAGSTER_HOME)
	@touch $@

install: $(INSTALLED)

parse: install
	@$(BIN)/mot parse

# With MOT_SOURCES_CONFIG set, the landing folder holds the user's own exports: generate nothing.
# RUN_ARGS passes options to `mot run` (e.g. RUN_ARGS=--verbose for Dagster's and dbt's full output).
run: parse
ifndef MOT_SOURCES_CONFIG
	@$(BIN)/mot generate --scale $(SCALE) --seed $(SEED)
endif
	@$(BIN)/mot run $(RUN_ARGS)

# The report's browser test drives Debian's chromium (Playwright's own download is not reachable
# everywhere): installed from apt when missing, so `make test` needs nothing installed by hand.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "installing Debian's chromium for the report's browser test"
	@SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null

test: parse $(CHROMIUM)
	$(BIN)/pytest

# The Dagster UI, schedules and sensors on http://127.0.0.1:$(DAGSTER_PORT); the instance config
# (one warehouse writer at a time) is copied into DAGSTER_HOME unless one is already there.
DAGSTER_PORT ?= 3000
dev: parse
	@mkdir -p $(DAGSTER_HOME)
	@test -s $(DAGSTER_HOME)/dagster.yaml || cp orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p $(DAGSTER_PORT)

clean:
	rm -rf landing warehouse published reports .dagster target logs

# A private PostgreSQL server for MOT_DBT_TARGET=postgres (Debian's packages, installed where
# missing): a cluster under .postgres/ on 127.0.0.1 and a free port, whose settings mot reads
# from .postgres/server.env. `make postgres-down` stops it by its pid.
postgres-up:
	@scripts/postgres.sh up

postgres-down:
	@scripts/postgres.sh down

# A private Spark standalone cluster for MOT_DBT_TARGET=spark: a master and two workers on
# 127.0.0.1 and free ports, started with pyspark's bin/spark-class (Java 17 from Debian where
# missing); mot reads the master's URL from .spark/cluster.env. `make spark-down` stops them by pid.
# pyspark and dbt-spark are the optional `spark` extra (about 450 MB), installed here.
SPARK_INSTALLED := $(VENV)/.installed-spark
$(SPARK_INSTALLED): $(INSTALLED)
	@echo "installing pyspark and dbt-spark into $(VENV)"
	@$(BIN)/uv pip install --python $(BIN)/python --quiet -e '.[dev,spark]' \
	  || $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,spark]'
	@touch $@

install-spark: $(SPARK_INSTALLED)

spark-up: install-spark
	@scripts/spark.sh up

spark-down:
	@scripts/spark.sh down

# The benchmark (not a test): `make bench SCALES="1 10 100"`; a table on screen, JSON in benchmarks/.
# `make bench ENGINE=postgres` (or spark) times the whole night with dbt on PostgreSQL (or the
# Spark cluster) at 1x and 10x unless SCALES says otherwise, starting the project's server (or
# cluster) when it is not running. `make bench SCALES=100 BENCH_ARGS=--nights-only`: the two nights
# and the reference pipeline alone (the night targets at 100x without the separate builds).
ENGINE ?= duckdb
SCALES ?= $(if $(filter duckdb,$(ENGINE)),1,1 10)
bench: parse
	@$(if $(filter postgres,$(ENGINE)),scripts/postgres.sh up)
	@$(if $(filter spark,$(ENGINE)),$(MAKE) --no-print-directory spark-up)
	$(BIN)/python benchmarks/bench.py --scale $(SCALES) --engine $(ENGINE) $(BENCH_ARGS)
