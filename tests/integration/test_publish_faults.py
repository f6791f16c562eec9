"""Publishing under a full disk or a folder it may not write: a clear error, the old marts served.

Both faults are real: the publish runs in a child process whose file-size limit (RLIMIT_FSIZE)
makes the kernel refuse writes past 256 KiB (EFBIG, what a full quota looks like to the writer),
or without the capabilities that let root ignore a read-only publish folder (EACCES).
"""

from __future__ import annotations

import hashlib
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import PROJECT_DIR

PUBLISH = (
    "import sys\n"
    "from pathlib import Path\n"
    "from orchestration.publish import PublishError, publish_marts\n"
    "try:\n"
    "    publish_marts(Path(sys.argv[1]), Path(sys.argv[2]))\n"
    "except PublishError as exc:\n"
    "    print(exc, file=sys.stderr)\n"
    "    sys.exit(3)\n"
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def publish_in_child(warehouse: Path, published: Path, **popen) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PUBLISH, str(warehouse), str(published)],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300, **popen,
    )


def test_a_full_disk_during_publish_fails_clearly_and_keeps_the_old_marts(baseline, tmp_path):
    published = tmp_path / "published" / "marts.duckdb"
    published.parent.mkdir()
    shutil.copy2(baseline.published, published)
    before = digest(published)

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    done = publish_in_child(baseline.warehouse, published, preexec_fn=limit_file_size)

    assert done.returncode == 3, done.stderr[-3000:]
    assert f"publish to {published} failed" in done.stderr
    assert "last published file was left as it was" in done.stderr
    assert digest(published) == before
    assert [p.name for p in published.parent.iterdir()] == ["marts.duckdb"]  # no half-written scratch left
    with duckdb.connect(str(published), read_only=True) as bi:
        assert bi.execute("select count(*) from fct_prospect_moments").fetchone()[0] > 0


SETPRIV = shutil.which("setpriv")


@pytest.mark.skipif(SETPRIV is None, reason="needs util-linux setpriv to drop the override capabilities")
def test_a_publish_folder_it_cannot_write_fails_clearly_and_keeps_the_old_marts(baseline, tmp_path):
    published = tmp_path / "published" / "marts.duckdb"
    published.parent.mkdir()
    shutil.copy2(baseline.published, published)
    before = digest(published)
    published.parent.chmod(0o555)  # nobody may create the scratch file beside the published one
    try:
        # Without CAP_DAC_OVERRIDE even root obeys the folder's mode, as the pipeline's own user would.
        done = subprocess.run(
            [SETPRIV, "--bounding-set=-dac_override,-dac_read_search", "--", sys.executable, "-c", PUBLISH,
             str(baseline.warehouse), str(published)],
            cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300,
        )
    finally:
        published.parent.chmod(0o755)

    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-3000:]
    assert f"publish to {published} failed" in done.stderr
    assert "ermission denied" in done.stderr
    assert digest(published) == before
    assert [p.name for p in published.parent.iterdir()] == ["marts.duckdb"]
