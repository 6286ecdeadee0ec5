"""The memory bound of issue 9: loading a 1,000,000-row cohort from CSV stays under
1 GiB of peak resident memory (measured in a fresh process: about 600 MiB here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from recurrence import simulate_cohort

# VmHWM is this process's own peak; ru_maxrss after fork + exec would include the
# parent's resident size at the fork (pytest, which has just built the cohort).
SCRIPT = """
import sys
import pyarrow as pa
from recurrence import load_cohort
before = pa.default_memory_pool().backend_name
cohort = load_cohort(sys.argv[1])
assert len(cohort) == 1_000_000
assert pa.default_memory_pool().backend_name == before  # the allocator is put back
with open("/proc/self/status") as fh:
    print(next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")))
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_loading_a_million_rows_stays_under_one_gibibyte(tmp_path):
    path = tmp_path / "cohort.csv"
    simulate_cohort(1_000_000, seed=3).to_csv(path, index=False)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)], capture_output=True, text=True, check=True
    )
    peak_mib = int(out.stdout.split()[-1]) / 1024
    assert peak_mib < 1024, f"peak RSS {peak_mib:.0f} MiB"
