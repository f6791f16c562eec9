"""A night's dbt invocation folder: its parse is kept for the next night, old folders are pruned."""

import os
import time

from orchestration.dbt_artifacts import PARTIAL_PARSE, keep_parse_and_prune


def _invocation(target, name, parse: bytes | None = b"", age_s: float = 0.0):
    folder = target / name
    (folder / "compiled").mkdir(parents=True)
    (folder / "run_results.json").write_text("{}")
    if parse is not None:
        (folder / PARTIAL_PARSE).write_bytes(parse)
    stamp = time.time() - age_s
    os.utime(folder, (stamp, stamp))
    return folder


def test_the_invocations_parse_becomes_the_target_folders(tmp_path):
    (tmp_path / PARTIAL_PARSE).write_bytes(b"parsed by mot parse with another profile")
    night = _invocation(tmp_path, "moments_dbt_assets-1a2b3c4-d5e6f70", parse=b"parsed by tonight's dbt")

    keep_parse_and_prune(night)

    assert (tmp_path / PARTIAL_PARSE).read_bytes() == b"parsed by tonight's dbt"
    assert (night / PARTIAL_PARSE).exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no copy left aside"


def test_an_invocation_without_a_parse_leaves_the_target_folders_alone(tmp_path):
    (tmp_path / PARTIAL_PARSE).write_bytes(b"from mot parse")
    night = _invocation(tmp_path, "moments_dbt_assets-1a2b3c4-d5e6f70", parse=None)

    keep_parse_and_prune(night)

    assert (tmp_path / PARTIAL_PARSE).read_bytes() == b"from mot parse"


def test_only_the_newest_folders_of_the_step_stay(tmp_path):
    old = [_invocation(tmp_path, f"moments_dbt_assets-{i:07d}-aaaaaaa", age_s=86400 * (20 - i)) for i in range(20)]
    other_step = _invocation(tmp_path, "other_assets-0000000-bbbbbbb", age_s=86400 * 30)
    (tmp_path / "compiled").mkdir()  # `mot parse`'s own output
    (tmp_path / "manifest.json").write_text("{}")
    night = _invocation(tmp_path, "moments_dbt_assets-tonight-ccccccc")

    removed = keep_parse_and_prune(night, keep=5)

    kept = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("moments_dbt_assets-"))
    assert kept == sorted([night.name, *(p.name for p in old[-4:])])
    assert sorted(removed) == sorted(old[:-4])
    assert other_step.exists() and (tmp_path / "compiled").exists() and (tmp_path / "manifest.json").exists()
