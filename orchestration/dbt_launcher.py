"""`mot-dbt`: dbt, started so that it cannot outlive the process that started it.

dagster-dbt starts dbt with a plain subprocess.Popen and offers no hook into the child, so the
project's DbtCliResource runs this launcher (installed beside dbt by `make install`) in dbt's place.
On Linux it asks the kernel to SIGKILL it the moment its parent ends (prctl PR_SET_PDEATHSIG; an
exec keeps the setting), then becomes dbt. A `kill -9` of `mot run`, or of the Dagster run worker,
can be caught by no handler: without this its `dbt build` would run on, orphaned, holding the
warehouse's DuckDB file, and the next night would wait for it. SIGKILL rather than a gentler
signal because dbt with no night to report to has nothing left worth finishing, and DuckDB's
write-ahead log keeps the file whole. Elsewhere the launcher only runs dbt.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1
# Set by the process that starts dbt to its own pid: a parent that died before the kernel took the
# request (while this interpreter started) is seen here, as the parent is then another process.
PARENT_PID_VARIABLE = "MOT_DBT_PARENT_PID"


def die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    expected = os.environ.get(PARENT_PID_VARIABLE)
    if expected and expected.isdigit() and int(expected) != os.getppid():
        sys.exit(f"mot-dbt: the process that started dbt (pid {expected}) has already ended; dbt not run")


def main() -> None:
    dbt = str(Path(sys.executable).parent / "dbt")
    if sys.platform.startswith("linux"):
        die_with_parent()
    os.execv(dbt, [dbt, *sys.argv[1:]])
