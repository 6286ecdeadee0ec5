"""The second round of hostile inputs: every case of the attack, with the test that holds
its outcome.

Most cases live beside the code they exercise (outputs, leaks, the command line, the
validation of DataFrames); :data:`ROUND_TWO` maps each case to its test, and
:func:`test_every_case_of_round_two_is_held_by_a_test` fails when one of them is renamed
or removed. The cases without a home elsewhere are tested here.
"""

from __future__ import annotations

import importlib
import tracemalloc

import numpy as np
import pandas as pd
from click.testing import CliRunner

from recurrence import simulate_studies
from recurrence.cli import main
from recurrence.export import to_csv
from recurrence.meta import compare_studies, leave_one_out

#: case -> "module::test" that holds it (modules under tests/).
ROUND_TWO = {
    # data loss
    "report --out onto its own --cohort": "hostile.test_outputs::test_the_report_never_overwrites_its_input",
    "--out a character device, FIFO or directory": "hostile.test_outputs::test_outputs_that_are_not_files_are_refused",
    "--out a symlink is written through": "hostile.test_outputs::test_a_symbolic_link_is_written_through_not_replaced",
    "outputs of one command are one transaction": "hostile.test_outputs::test_outputs_of_one_command_are_one_transaction",
    "a failure while placing files restores them": "hostile.test_outputs::test_a_failure_while_placing_the_files_restores_every_previous_file",
    "SIGTERM leaves no .part file": "hostile.test_interrupt::test_interrupted_report_writes_nothing",
    "read-only or full disk: one line, exit 2": "hostile.test_outputs::test_a_read_only_or_full_disk_is_one_line_and_exit_2",
    "--tables naming a file": "hostile.test_outputs::test_a_folder_of_tables_that_is_a_file_is_refused_before_any_work",
    # leaks
    "free text in a standard column (report, table_one.csv)": "hostile.test_leaks::test_free_text_is_never_in_the_report_or_its_tables",
    "free text in Table 1 even when asked for": "hostile.test_leaks::test_free_text_is_never_in_table_one_even_when_asked_for",
    "describe prints no free text": "hostile.test_leaks::test_describe_prints_no_free_text",
    "error messages print no free text": "hostile.test_leaks::test_error_messages_print_no_free_text",
    "--min-cell in every table and export": "hostile.test_leaks::test_the_small_cell_rule_in_every_table_and_export",
    "--min-cell on the command line": "hostile.test_leaks::test_min_cell_on_the_command_line",
    "--min-cell in the risk table under the curves": "hostile.test_leaks::test_the_risk_table_under_the_curves_follows_the_small_cell_rule",
    "CSV export: CR/LF inside a cell": "hostile.test_round_two::test_a_line_break_inside_a_cell_cannot_start_a_formula_row",
    "CSV export: formulas neutralised": "hostile.test_export::test_csv_cells_that_would_run_as_formulas_are_neutralized",
    # silent or misleading numbers
    "Fine-Gray with no reherniation in one arm": "test_survival_finegray_empty_arm::test_fine_gray_shr_is_not_estimable",
    "cox/fine_gray on a bad DataFrame": "test_validate::test_every_survival_function_refuses_a_bad_table_with_the_same_message",
    # hangs and resource abuse
    "a FIFO as --cohort or --columns": "hostile.test_cli_properties::test_every_command_line_ends_cleanly",
    "a bad --columns file (missing, directory, not UTF-8)": "hostile.test_outputs::test_a_bad_columns_file_is_one_short_error",
    "a Dask scheduler that never answers or has no worker": "test_design_cli::test_a_scheduler_that_is_not_one_or_has_no_worker_never_hangs",
    "--scheduler notanaddress": "test_design_cli::test_a_bad_scheduler_address_is_refused_before_any_work",
    "--hr inf, --n-per-arm 1e9, --ratio 1e-300, --loss-rate 1e300, --replicates 1e9": "test_design_cli::test_bad_arguments_give_one_line_and_status_2",
    "leave_one_out in linear memory": "hostile.test_round_two::test_leave_one_out_memory_grows_linearly_with_the_studies",
    "report --studies with too many rows": "hostile.test_round_two::test_a_study_table_beyond_the_report_limit_is_refused_in_one_line",
    "wide files (REDCap exports)": "test_own_data::test_a_wide_export_loads_without_warnings",
    "the command line never crashes (property)": "hostile.test_cli_properties::test_every_command_line_ends_cleanly",
}


def test_every_case_of_round_two_is_held_by_a_test():
    missing = []
    for case, target in ROUND_TWO.items():
        module, name = target.split("::")
        if not callable(getattr(importlib.import_module(module), name, None)):
            missing.append(f"{case}: {target}")
    assert not missing, missing


def test_a_line_break_inside_a_cell_cannot_start_a_formula_row(tmp_path):
    # the writer ends lines with \n; a bare \r inside a cell once read back as a new row
    # starting with "=cmd"
    frame = pd.DataFrame(
        {"study": ["Smith 2019\r=cmd|' /C calc'!A0", "Lee 2020\n+1"], "events": [3, 4]},
        index=pd.Index(["=HYPERLINK(1)", "ok"], name="row"),
    )
    to_csv(frame, tmp_path / "t.csv", index=True)
    back = pd.read_csv(tmp_path / "t.csv")
    assert len(back) == 2  # the breaks stayed inside their quoted cells
    assert back["study"].tolist() == ["Smith 2019\r'=cmd|' /C calc'!A0", "Lee 2020\n'+1"]
    assert back["row"].tolist() == ["'=HYPERLINK(1)", "ok"]  # the index is protected too
    assert back["events"].tolist() == [3, 4]


def _peak_bytes(k: int) -> int:
    result = compare_studies(simulate_studies(k, seed=1))
    tracemalloc.start()
    try:
        leave_one_out(result)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_leave_one_out_memory_grows_linearly_with_the_studies():
    # 4x the studies: linear memory gives ~4x the peak, the old k-by-k refit ~16x
    # (3,000 studies took 2 GB). Memory is deterministic, unlike time.
    small, large = _peak_bytes(60), _peak_bytes(240)
    assert large / small < 8, (small, large)


def test_a_study_table_beyond_the_report_limit_is_refused_in_one_line(tmp_path):
    from recurrence.report.analyses import MAX_STUDIES

    rng = np.random.default_rng(1)
    k = MAX_STUDIES + 1
    n = rng.integers(20, 200, (k, 2))
    table = pd.DataFrame(
        {
            "study": [f"S{i}" for i in range(k)],
            "events_closure": rng.integers(0, 10, k),
            "total_closure": n[:, 0] + 10,
            "events_control": rng.integers(0, 10, k),
            "total_control": n[:, 1] + 10,
        }
    )
    path = tmp_path / "many.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "r.pdf"
    result = CliRunner().invoke(main, ["report", "--studies", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"the report analyses at most {MAX_STUDIES:,}" in lines[0]
    assert not out.exists()
