"""The benchmark's own measures: a night's memory summed over the processes it starts, and the
verdicts of a --nights-only run (no separate ingest or dbt figures). Nothing is timed here."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench  # noqa: E402

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")

# Two children, one of them a grandchild, each holding ~150 MiB until told to stop (stdin closes).
HOLDER = "import sys; block = bytearray(150 * 1024 * 1024); sys.stdin.read()"
PARENT = (
    "import subprocess, sys\n"
    f"child = subprocess.Popen([sys.executable, '-c', {HOLDER!r}], stdin=subprocess.PIPE)\n"
    f"exec({HOLDER!r})\n"
    "child.stdin.close(); child.wait()\n"
)


def test_tree_peak_adds_up_a_child_and_its_grandchild():
    figures: dict = {}
    with bench.tree_peak_rss(figures, "peak_gib", every_s=0.05):
        parent = subprocess.Popen([sys.executable, "-c", PARENT], stdin=subprocess.PIPE)
        # wait until both hold their block: the sum passes 280 MiB only when both are resident
        for _ in range(400):
            if bench.descendants_rss_bytes(os.getpid()) > 280 * 1024**2:
                break
            time.sleep(0.05)
        else:
            parent.kill()
            pytest.fail("the two holders never reached 280 MiB together")
        # and keep them so for many sampling periods: one scan of /proc takes longer on a busy
        # machine, and the sampler must take a sample while both are resident
        time.sleep(2.0)
        parent.stdin.close()
        assert parent.wait(timeout=30) == 0
    # more than either process alone could hold: both were counted
    assert 280 / 1024 < figures["peak_gib"] < 2.0, figures
    assert bench.descendants_rss_bytes(os.getpid()) < 150 * 1024**2  # both gone


def test_nights_only_results_get_the_night_verdicts_and_no_ingest_or_dbt_rows():
    nights_only = {"scale": 100.0, "prospects": 1_000_000, "web_events": 54_674_689, "generate_s": 380.0,
                   "night_s": 1900.0, "incremental_night_s": 500.0, "reference_s": 350.0,
                   "night_peak_rss_gib": 4.5, "night_peak_process_rss_gib": 3.4,
                   "incremental_night_over_full_night": 0.263, "night_over_reference": 5.429}
    rows = {name: (value, ok) for name, value, _, ok in bench.verdicts([nights_only], None)}
    assert rows == {
        "x100.0 incremental night / full night": ("0.263", False),
        "x100 whole night (s)": ("1900.0", False),
        "x100 peak RSS (GiB)": ("4.5", False),
    }
    printed = bench.render([nights_only], bench.verdicts([nights_only], None))
    header, values = printed.splitlines()[:2]
    assert "night_peak_process_rss_gib" in header and "dbt_models_s" in header
    cells = dict(zip(header.split(), values.split()))
    assert cells["dbt_models_s"] == "-" and cells["night_s"] == "1900.0"
