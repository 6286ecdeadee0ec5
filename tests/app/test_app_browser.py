"""The app in a real browser (Debian's Chromium, driven by Playwright): a registry export
goes from upload through the mapping form to the numbers, and the report downloads.

The export is ``tests/data/own/lung_registry.csv``: a title row (the header is row 3),
columns ``Pat-ID``, ``Arm`` (Closure/Standard), ``FU (days)``, ``Outcome``
(recurrence/alive). The numbers the page shows are held against the API's on the same
file loaded with the same options (``recurrence.load_cohort``): the hazard ratio of
closure and the 24-month cumulative incidence per arm, to the last digit the page
carries (``data-exact``: the repr of the float), and as displayed (``_format.fmt``, ``pct``).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import recurrence
from recurrence import survival
from recurrence._format import fmt, pct

DATA = Path(__file__).parents[1] / "data" / "own"
LUNG = DATA / "lung_registry.csv"
READING = {
    "header_row": 3,
    "columns": {"Pat-ID": "patient_id", "Arm": "closure", "FU (days)": "time", "Outcome": "event"},
    "values": {
        "closure": {"Closure": True, "Standard": False},
        "event": {"recurrence": 1, "alive": 0},
    },
    "time_unit": "days",
}

pytestmark = pytest.mark.filterwarnings("ignore::recurrence.DataWarning")


@pytest.fixture(scope="module")
def api_cohort():
    return recurrence.load_cohort(LUNG, **READING)


def _value(page, key: str) -> tuple[str, float]:
    node = page.locator(f"[data-key='{key}']")
    return node.inner_text().strip(), float(node.get_attribute("data-exact"))


def _images_loaded(page, timeout: float = 60.0) -> None:
    """Wait until every figure of the page is drawn (polled: the app's content security
    policy forbids the page-side eval of ``wait_for_function``)."""
    import time

    check = "imgs => imgs.every(i => i.complete && i.naturalWidth > 0)"
    deadline = time.monotonic() + timeout
    while not page.locator("img").evaluate_all(check):
        assert time.monotonic() < deadline, "a figure did not load"
        page.wait_for_timeout(100)


def _upload_and_map(page, server, shoot=None):
    page.goto(server.url + "/")
    if shoot:
        shoot("1-data")
    page.set_input_files("input[name=cohort_file]", str(LUNG))
    page.click("button:has-text('Continue')")
    page.wait_for_url("**/map")
    # the loader's title detection proposes row 3; the loader's suggestions the columns
    assert page.input_value("input[name='cohort.header_row']") == "3"
    for role, column in READING["columns"].items():
        assert page.input_value(f"select[name='cohort.col.{column}']") == role
    page.select_option("select[name='cohort.time_unit']", "days")
    picks = {"Closure": "true", "Standard": "false", "alive": "0", "recurrence": "1"}
    for label, value in picks.items():
        page.select_option(f"select[data-label='{label}']", value)
    if shoot:
        shoot("2-mapping")
    page.click("button:has-text('Check and load')")
    page.wait_for_url("**/results/summary")


def test_registry_export_to_numbers_and_report(page, server, api_cohort, shoot):
    _upload_and_map(page, server, shoot)
    assert "Table 1" in page.inner_text("main")
    assert "NCCTG-0" not in page.content()  # no patient identifier on any page
    shoot("3-summary")

    page.click("nav.tabs >> text=Curves")
    page.wait_for_selector("[data-key='incidence-closure-24']")
    at = survival.cumulative_incidence(api_cohort).at([24]).set_index("group")["incidence"]
    for group in ("closure", "no closure"):
        shown, exact = _value(page, f"incidence-{group.replace(' ', '-')}-24")
        assert exact == float(at[group])  # the same float: the page calls the API
        assert shown == pct(float(at[group]))  # as a percentage, as the curves
    _images_loaded(page)
    shoot("4-curves")

    page.click("nav.tabs >> text=Effects")
    hr = survival.cox(api_cohort, ["closure"]).table.loc["closure", "hr"]
    shown, exact = _value(page, "hr-closure")
    assert exact == float(hr)
    assert shown == fmt(float(hr))
    assert "NNT" in page.inner_text("#block-risk_difference")
    _images_loaded(page)
    shoot("5-effects")

    page.click("nav.tabs >> text=Pooled evidence")
    page.wait_for_selector("#block-funnel img")
    _images_loaded(page)
    assert "Summary of findings" in page.inner_text("main")
    shoot("6-evidence")

    page.click("nav.tabs >> text=Design")
    page.fill("input[name=replicates]", "60")
    page.click("button:has-text('Simulate power')")
    page.wait_for_selector("#progress")
    if page.locator("#progress progress").count():  # still running: the bar shows
        shoot("7-design-progress")
    page.wait_for_selector("#block-simulated_power", timeout=120_000)
    _images_loaded(page)
    shoot("7-design")

    page.click("nav.tabs >> text=Plan and report")
    page.fill("input[name=title]", "Lung registry: closure against standard")
    page.click("button:has-text('Apply the plan')")
    page.wait_for_url("**/results/report")
    assert 'title = "Lung registry: closure against standard"' in page.text_content("#plan-toml")
    shoot("8-report")
    with page.expect_download(timeout=120_000) as info:
        page.click("a[data-format=pdf]")
    pdf = Path(info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Lung registry: closure against standard" in text
    assert "NCCTG-0" not in text


def test_bad_file_shows_its_problems_and_runs_nothing(page, server, tmp_path, shoot):
    bad = tmp_path / "bad_export.csv"
    bad.write_text(
        "patient_id,closure,time,event\nP1,maybe,12,1\nP2,yes,x,0\nP3,no,5,7\n", encoding="utf-8"
    )
    page.goto(server.url + "/")
    page.set_input_files("input[name=cohort_file]", str(bad))
    page.click("button:has-text('Continue')")
    page.wait_for_url("**/map")
    page.click("button:has-text('Check and load')")
    page.wait_for_selector(".problems li")
    problems = page.locator(".problems li").all_inner_texts()
    assert any(
        "column 'closure', row 1: is not a yes/no value (found 'maybe')" in p for p in problems
    )
    assert any("column 'time', row 2: is not a number (found 'x')" in p for p in problems)
    assert any("column 'event', row 3: is not 0, 1 or 2 (found 7)" in p for p in problems)
    assert "nothing ran" in page.inner_text(".problems")
    assert page.locator("nav.tabs").count() == 0  # no result tab was reached
    shoot("9-problems")
    page.goto(server.url + "/results/effects")  # nothing was loaded: back to the form
    assert page.url.endswith("/map")


def test_a_table_downloaded_from_the_page_is_formula_safe(page, server, tmp_path, shoot):
    """A study named like a spreadsheet formula: the CSV and the Excel file the page's
    links download hold it as text (a leading apostrophe), never as a formula."""
    studies = recurrence.load_studies().head(5).copy()
    studies.loc[studies.index[0], "study"] = "=1+2"
    path = tmp_path / "studies_export.csv"
    studies.to_csv(path, index=False)
    page.goto(server.url + "/")
    page.uncheck("input[name=studies_builtin]")
    page.set_input_files("input[name=studies_file]", str(path))
    page.click("button:has-text('Continue')")
    page.wait_for_url("**/map")
    page.click("button:has-text('Check and load')")
    page.wait_for_url("**/results/summary")
    page.click("nav.tabs >> text=Pooled evidence")
    page.wait_for_selector("#block-forest img")
    _images_loaded(page)
    shoot("10-evidence-own-studies")
    with page.expect_download() as info:
        page.click("#block-forest a:has-text('CSV')")
    csv = Path(info.value.path()).read_text(encoding="utf-8")
    assert info.value.suggested_filename == "forest.csv"
    assert "\n'=1+2," in csv and "\n=1+2," not in csv
    with page.expect_download() as info:
        page.click("#block-forest a:has-text('Excel')")
    from openpyxl import load_workbook

    assert info.value.suggested_filename == "forest.xlsx"
    sheet = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert "'=1+2" in cells and "=1+2" not in cells
