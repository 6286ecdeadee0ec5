"""``recurrence design``: analytic by default, --simulate for Monte Carlo, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from recurrence.cli.design import design


def run(*args):
    return CliRunner().invoke(design, list(args))


def test_analytic_time_to_event_by_default():
    result = run()
    assert result.exit_code == 0, result.output
    assert (
        "time to event (Schoenfeld): 242 patients (121 closure, 121 no closure), "
        "66 reherniations" in result.output
    )
    assert "  n_total            242" in result.output
    freedman = run("--method", "freedman", "--hr", "0.5")
    assert "71 reherniations" in freedman.output


def test_analytic_proportions():
    # Fleiss: 25% vs 12.5% needs 152 per arm (tests/test_design_analytic.py)
    result = run("--p-closure", "0.125", "--control-incidence", "0.25")
    assert result.exit_code == 0, result.output
    assert "two proportions: 304 patients (152 closure, 152 no closure)" in result.output
    cc = run("--rr", "0.5", "--continuity")
    assert "continuity corrected: 336 patients" in cc.output


def test_simulation_prints_a_reproducible_table():
    args = (
        "--simulate",
        "--hazard",
        "exponential",
        "--replicates",
        "40",
        "--seed",
        "3",
        "--analysis",
        "logrank",
        "--analysis",
        "cox",
        "--n-per-arm",
        "60",
        "--n-per-arm",
        "121",
    )
    first, second = run(*args), run(*args)
    assert first.exit_code == 0, first.output
    assert "Simulated power of the planned analysis" in first.output
    assert "40 simulated trials per scenario (exponential hazard)" in first.output
    assert "seed 3" in first.output and "ran on serial" in first.output
    table = first.output.split("Simulated power")[1].split("[1]")[0]
    assert table == second.output.split("Simulated power")[1].split("[1]")[0]
    assert table.count("logrank") == 2 and table.count("cox") == 2


def test_simulation_defaults_to_the_formula_answer():
    result = run("--simulate", "--hazard", "exponential", "--replicates", "20", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "n_per_arm 121" in result.output  # the analytic n per arm, simulated


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--alpha", "2"], "Invalid value for '--alpha': 2.0 is not in the range 0<x<1."),
        (["--hr", "1"], "hr must be > 0 and not 1 (got 1.0)"),
        (["--bogus"], "--bogus"),  # click 8.2 and 8.3 word this error differently
        (["--replicates", "10"], "--replicates only applies with --simulate"),
        (["--hr", "0.5", "--p-closure", "0.1"], "give --hr (time to event) or --p-closure/--rr"),
        (["--simulate", "--rr", "0.5"], "--simulate simulates time-to-event trials"),
        (["--p-closure", "0.1", "--rr", "0.5"], "give p_closure or rr, not both or neither"),
        (
            ["--simulate", "--replicates", "2", "--backend", "serial", "--scheduler", "tcp://x:1"],
            "client=/scheduler= run on Dask",
        ),
        (["--simulate", "--analysis", "wald"], "Invalid value for '--analysis'"),
        # absurd designs: refused up front, never a 300-digit sample size or a memory error
        (["--hr", "inf"], "Invalid value for '--hr': inf is not in the range 0.01<=x<=100."),
        (["--ratio", "1e-300"], "Invalid value for '--ratio'"),
        (["--loss-rate", "1e300"], "Invalid value for '--loss-rate'"),
        (["--simulate", "--replicates", "1000000000"], "is not in the range 1<=x<=1000000"),
        (["--simulate", "--n-per-arm", "1000000000"], "is not in the range 2<=x<=1000000"),
        (
            ["--loss-rate", "1", "--ratio", "0.01", "--hr", "0.99"],
            "patients, more than 10,000,000: no trial can recruit that many",
        ),
    ],
)
def test_bad_arguments_give_one_line_and_status_2(args, message):
    result = run(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("recurrence: error: "), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.output


def test_under_a_group_errors_stay_one_line_and_debug_shows_the_traceback():
    @click.group()
    @click.option("--debug", is_flag=True)
    def main(debug):
        pass

    main.add_command(design)
    result = CliRunner().invoke(main, ["design", "--alpha", "2"])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    result = CliRunner().invoke(main, ["design", "--hr", "1"])
    assert result.exit_code == 2 and "hr must be > 0" in result.stderr
    result = CliRunner().invoke(main, ["--debug", "design", "--hr", "1"])
    assert result.exit_code == 1 and result.exception is not None
    help_text = CliRunner().invoke(main, ["design", "--help"]).output
    assert "--simulate" in help_text and "--scheduler ADDRESS" in help_text


def test_the_command_module_imports_no_statistics():
    heavy = "('numpy', 'pandas', 'scipy', 'distributed')"
    code = (
        f"import sys, recurrence.cli.design; print(sorted(m for m in {heavy} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_scheduler_that_is_not_one_or_has_no_worker_never_hangs():
    import socket
    import threading
    import time

    from recurrence import DataError
    from recurrence.design import simulate_power

    # a server that accepts the connection and never answers (a web or SSH server would
    # answer garbage): bounded by the timeout, then a clear error
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True)
    thread.start()
    start = time.monotonic()
    with pytest.raises(DataError, match="could not connect to a Dask scheduler at"):
        simulate_power(100, 0.5, replicates=4, scheduler=f"tcp://127.0.0.1:{port}", timeout=2)
    assert time.monotonic() - start < 30
    thread.join(timeout=5)
    for conn in accepted:
        conn.close()
    server.close()
    # a real scheduler without workers
    from recurrence.design._execution import local_cluster

    with local_cluster(0) as cluster:
        with pytest.raises(DataError, match=r"has no worker \(waited 2 s\)"):
            simulate_power(100, 0.5, replicates=4, scheduler=cluster.scheduler_address, timeout=2)


def test_a_bad_scheduler_address_is_refused_before_any_work():
    result = run("--simulate", "--scheduler", "notanaddress")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "recurrence: error: 'notanaddress' is not a Dask scheduler address. "
        "Fix: give it as tcp://host:8786 (the address the scheduler prints)"
    )
    assert "Sample size" not in result.output
