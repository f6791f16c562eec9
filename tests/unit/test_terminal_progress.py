"""The terminal of `mot run`: stage lines always, a progress bar only where a person is watching.

A real Dagster job runs in process with the night's logger; its ingestion step reports shards as
the ingestion asset does (defs/ingestion.py), and the handler draws from the run's own events.
"""

from __future__ import annotations

import io
import time

from dagster import Definitions, asset, define_asset_job

from orchestration.defs.terminal import StageHandler, parse_progress, progress_message, stage_logger_defs


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@asset(key=["raw", "web_events"], group_name="ingestion")
def _web_events(context):
    for done in (1, 2, 3):
        time.sleep(0.15)  # longer than tqdm's refresh interval, so every update is drawn
        context.log.info(progress_message("raw.web_events", done, 3))


def _run_night(out: io.StringIO, tmp_path) -> StageHandler:
    job = Definitions(assets=[_web_events], jobs=[define_asset_job("night")]).resolve_job_def("night")
    handler = StageHandler(out, totals={"ingest": 1})
    with open(tmp_path / "night.log", "w") as log_file:
        job = job.with_logger_defs(stage_logger_defs(log_file, out, handler))
        assert job.execute_in_process(run_config={"loggers": {"night": {}}}).success
    handler.close()
    return handler


def test_a_terminal_gets_a_progress_bar_with_the_shards_then_the_stage_line(tmp_path):
    out = _Terminal()
    _run_night(out, tmp_path)
    text = out.getvalue()
    assert "0/1" in text and "1/1" in text, text  # the stage's raw tables, before and after
    assert "raw.web_events 3/3 shards" in text
    # the bar gives way to the stage's one line, which is the last thing written
    last = text.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("  ingest") and "1 raw tables" in last


def test_a_pipe_gets_the_stage_lines_only(tmp_path):
    out = io.StringIO()
    handler = _run_night(out, tmp_path)
    assert not handler.progress
    assert out.getvalue().count("\n") == 1 and "\r" not in out.getvalue()
    assert out.getvalue().startswith("  ingest")


def test_progress_messages_parse_back():
    assert parse_progress("raw.web_events: " + progress_message("raw.web_events", 40, 181)) == ("raw.web_events", 40, 181)
    assert parse_progress("raw.web_events: 181 files loaded") is None
    assert parse_progress("progress: broken") is None
