"""The app over HTTP, as a browser talks to it but without one (fast): data protection
(nothing outside the app on any page, the session's folder removed, no free text or
identifier shown, the small-cell rule), the downloads (formula-safe tables, the DOCX
report, the plan that ``recurrence report --plan`` runs again), and the file formats
the first page takes (Excel, Parquet).

The server is ``recurrence app --port N`` in a process of its own (``conftest.py``).
"""

from __future__ import annotations

import io
import re
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from helpers_app import Client, Server, form_fields

import recurrence
from recurrence import survival
from recurrence.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::recurrence.DataWarning")

DATA = Path(__file__).parents[1] / "data" / "own"
LUNG = DATA / "lung_registry.csv"
COLON = DATA / "colon_registry.xlsx"
LUNG_LABELS = {"Closure": "true", "Standard": "false", "alive": "0", "recurrence": "1"}
#: What the form must hold to read the colon export (see tests/test_own_data.py).
COLON_READING = {
    "header_row": 3,
    "columns": {
        "Patient": "patient_id",
        "Treatment": "closure",
        "Days to event": "time",
        "Status": "event",
        "Age (years)": "age",
    },
    "values": {
        "closure": {"Barricaid": True, "none": False},
        "event": {"recurrence": 1, "death": 2, "alive": 0, "9": 0},
    },
    "time_unit": "days",
}
NAME = "Johanna Brightwater"


def _text(body: bytes) -> str:
    return body.decode("utf-8")


def _lung_session(client, *, min_cell: str = "", studies: bool = True):
    fields = {"studies_builtin": "on"} if studies else {}
    status, url, _, body = client.upload({"cohort_file": LUNG}, fields)
    assert status == 200 and url.endswith("/map"), body[:300]
    status, url, _, body = client.map({"min_cell": min_cell}, LUNG_LABELS)
    assert status == 200 and url.endswith("/results/summary"), body[:2000]
    return body


def test_no_page_asks_for_anything_outside_the_app(client):
    """Every src/href/action of every page is a path of this app; the only script is
    the vendored htmx; the content security policy forbids anything else."""
    _lung_session(client)
    pages = ["/", "/map", *(f"/results/{t}" for t in ("summary", "curves", "effects"))]
    pages += ["/results/evidence", "/results/design", "/results/report"]
    seen = 0
    for path in pages:
        status, _, headers, body = client.get(path)
        assert status == 200, path
        assert "default-src 'self'" in headers["content-security-policy"]
        assert headers["cache-control"] == "no-store"
        links = re.findall(r'(?:src|href|action|hx-get|hx-post)="([^"]*)"', _text(body))
        assert links, path
        outside = [u for u in links if not u.startswith("/") or u.startswith("//")]
        assert outside == [], f"{path} links outside the app: {outside}"
        assert re.findall(r"<script[^>]*src=\"([^\"]+)\"", _text(body)) == ["/static/htmx.min.js"]
        seen += len(links)
    status, _, headers, js = client.get("/static/htmx.min.js")
    assert status == 200 and b"htmx" in js[:2000] and len(js) > 40_000  # vendored, whole
    assert seen > 50


def test_a_request_for_another_host_name_is_refused(client):
    """The Host check against DNS rebinding: a page of another site that resolves its
    name to 127.0.0.1 gets nothing from the app."""
    assert client.request("/", headers={"Host": "evil.example"})[0] == 400
    assert client.request("/", headers={"Host": "localhost"})[0] == 200


def test_a_session_folder_is_removed_when_the_session_ends_and_at_exit(tmp_path):
    pytest.importorskip("starlette", reason="the app extra is not installed")
    server = Server(tmp_path)
    try:
        pattern = "recurrence-app-*/session-*/cohort/lung_registry.csv"
        one, two = Client(server.url), Client(server.url)
        assert one.upload({"cohort_file": LUNG})[1].endswith("/map")
        (first,) = tmp_path.glob(pattern)
        assert two.upload({"cohort_file": LUNG})[1].endswith("/map")
        assert len(list(tmp_path.glob(pattern))) == 2
        _, url, _, _ = one.post("/end", {})
        assert url.endswith("/")  # back to the first page, a new session
        (left,) = tmp_path.glob(pattern)  # the other session's upload stays
        assert left != first and not first.parent.parent.exists()
        _status, url, _, _ = one.get("/results/summary")  # the old session is gone
        assert url.endswith("/")
    finally:
        _code, _, err = server.stop()
    assert list(tmp_path.glob("recurrence-app-*")) == [], err[-500:]


def test_no_free_text_or_identifier_is_shown_anywhere(client, tmp_path):
    """A notes column naming a patient, and the patients' ids, appear on no page and in
    no table download."""
    cohort = recurrence.load_cohort().head(300).copy()
    cohort["patient_id"] = [f"MRN-{i:07d}" for i in range(len(cohort))]
    cohort["notes"] = [
        f"{NAME} phoned on day {i}, wound fine" if i % 3 == 0 else "" for i in range(300)
    ]
    path = tmp_path / "with_notes.csv"
    cohort.to_csv(path, index=False)
    status, url, _, _ = client.upload({"cohort_file": path})
    assert url.endswith("/map")
    status, url, _, body = client.map()
    assert url.endswith("/results/summary"), body[:2000]
    shown = [body]
    for tab in ("curves", "effects", "report", "summary"):
        shown.append(client.get(f"/results/{tab}")[3])
    _, _, _, form = client.get("/map")
    shown.append(form)
    for name in ("patients", "table_one", "rates", "cox_closure_only", "risk_difference"):
        status, _, _, csv = client.get(f"/table/{name}.csv")
        assert status == 200, name
        shown.append(csv)
    assert b"notes" in shown[0]  # Table 1 names the column it left out...
    for part in shown:
        assert NAME.encode() not in part  # ...never what it holds
        assert b"Johanna" not in part
        assert b"MRN-" not in part


def test_the_small_cell_rule_hides_small_counts_on_the_page_and_in_downloads(client):
    _lung_session(client, min_cell="10", studies=False)
    _status, _, _, page = client.get("/results/curves")
    rates = client.get("/table/rates.csv")[3].decode()
    table = pd.read_csv(io.StringIO(rates))
    # at 24 months 7 and 6 patients are still at risk (see the browser test's page)
    at24 = table[table["time"] == 24]
    assert sorted(at24["at_risk"]) == ["< 10", "< 10"]
    assert "&lt; 10" in _text(page)  # the rates table of the page, escaped
    summary = _text(client.get("/results/summary")[3])
    assert "counts below 10 hidden" in summary


def test_a_table_download_is_formula_safe(client, tmp_path):
    """A study named like a spreadsheet formula downloads as text, in CSV and xlsx."""
    studies = recurrence.load_studies().head(5).copy()
    studies.loc[studies.index[0], "study"] = '=HYPERLINK("http://evil.example","x")'
    path = tmp_path / "studies.csv"
    studies.to_csv(path, index=False)
    status, url, _, _ = client.upload({"studies_file": path})
    assert url.endswith("/map")
    status, url, _, body = client.map()
    assert status == 200, body[:2000]
    status, _, _, page = client.get("/results/evidence")
    assert status == 200 and b"block-forest" in page
    csv = client.get("/table/forest.csv")[3].decode()
    assert "'=HYPERLINK" in csv
    assert not re.search(r"(^|,)\"?=HYPERLINK", csv, flags=re.M)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get("/table/forest.xlsx")[3]))
    cells = [c.value for row in book.active.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert not any(isinstance(c, str) and c.startswith("=") for c in cells)
    svg = client.get("/figure/forest.svg?download=1")
    assert svg[0] == 200 and svg[3].lstrip().startswith(b"<?xml")
    assert "attachment" in svg[2]["content-disposition"]
    png = client.get("/figure/forest.png")
    assert png[3].startswith(b"\x89PNG")


def test_the_plan_runs_again_from_the_command_line_into_a_word_report_that_opens(client, tmp_path):
    """The plan built in the form, downloaded as TOML with the data dictionary, is
    what ``recurrence report --plan`` runs: the same plan, resolved, as the app's, and
    a DOCX report that python-docx opens (the app's own report downloads in the
    browser test)."""
    _lung_session(client)
    plan_form = {
        "title": "Lung registry, again from the command line",
        "horizon": "12",
        "times": "6, 12",
        "level": "0.9",
        "covariates.given": "1",
        "covariates": ["age", "ph.ecog"],
        "table_one.given": "1",
        "table_one": ["age", "wt.loss"],
        "subgroups.given": "1",
        "measure": "OR",
        "method": "DL",
        "hksj": "false",
    }
    _, url, _, body = client.post("/plan", plan_form)
    assert url.endswith("/results/report"), body[:2000]
    plan_toml = client.get("/download/plan.toml")[3].decode()
    dictionary = client.get("/download/cohort-dictionary.toml")[3].decode()
    assert tomllib.loads(dictionary)["time_unit"] == "days"
    plan = tomllib.loads(plan_toml)
    assert plan["cohort"]["covariates"] == ["age", "ph.ecog"]
    assert plan["studies"]["method"] == "DL" and plan["level"] == 0.9

    for name, content in (("plan.toml", plan_toml), ("dictionary.toml", dictionary)):
        (tmp_path / name).write_text(content, encoding="utf-8")
    shutil.copy(LUNG, tmp_path / LUNG.name)
    out = tmp_path / "again.docx"
    args = ["report", "--cohort", str(tmp_path / LUNG.name), "--columns"]
    args += [str(tmp_path / "dictionary.toml"), "--plan", str(tmp_path / "plan.toml")]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    import docx

    document = docx.Document(str(out))  # the Word report opens
    again = "\n".join(p.text for p in document.paragraphs)
    again += "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "Lung registry, again from the command line" in again
    assert "ph.ecog" in again  # adjusted as the plan says
    assert "NCCTG-0" not in again  # no patient identifier

    from recurrence.report.plan import read_plan, resolve_plan

    cohort = recurrence.load_cohort(tmp_path / LUNG.name, **tomllib.loads(dictionary))
    from_file = resolve_plan(read_plan(tmp_path / "plan.toml")[0], cohort, None)
    from_app = resolve_plan(plan, cohort, None)
    assert from_file == from_app
    assert from_file.covariates == ("age", "ph.ecog") and from_file.horizon == 12


def test_an_excel_export_maps_through_the_form_to_the_apis_numbers(client):
    _, url, _, _ = client.upload({"cohort_file": COLON})
    assert url.endswith("/map")
    _, _, _, form = client.get("/map")
    fields = dict(_fields(form))
    assert fields["cohort.header_row"] == "3"  # the loader's title detection
    for theirs, canon in COLON_READING["columns"].items():
        assert fields[f"cohort.col.{canon}"] == theirs  # the loader's proposals
    assert fields["cohort.time_unit"] == "days"  # "Days to event"
    labels = {"Barricaid": "true", "none": "false", "recurrence": "1", "death": "2"}
    labels |= {"alive": "0", "9": "0"}
    _status, url, _, body = client.map(labels=labels)
    assert url.endswith("/results/summary"), body[:3000]
    api = recurrence.load_cohort(COLON, **COLON_READING)
    effects = _text(client.get("/results/effects")[3])
    hr = survival.cox(api, ["closure"]).table.loc["closure", "hr"]
    assert _exact(effects, "hr-closure") == float(hr)
    shr = survival.fine_gray(api, ["closure"]).table.loc["closure", "shr"]
    assert _exact(effects, "shr-closure") == float(shr)


def test_a_parquet_upload_and_a_file_of_another_kind(client, tmp_path):
    cohort = recurrence.load_cohort().head(400)
    path = tmp_path / "cohort.parquet"
    cohort.to_parquet(path)
    status, url, _, _ = client.upload({"cohort_file": path})
    assert url.endswith("/map")
    status, url, _, body = client.map()
    assert url.endswith("/results/summary"), body[:2000]
    curves = _text(client.get("/results/curves")[3])
    at = survival.cumulative_incidence(cohort).at([24]).set_index("group")["incidence"]
    assert _exact(curves, "incidence-closure-24") == float(at["closure"])

    other = tmp_path / "cohort.sav"
    other.write_bytes(b"$FL2")
    status, _, _, body = client.upload({"cohort_file": other})
    assert status == 422
    assert "cohort.sav: not a CSV, Excel (.xlsx) or Parquet file" in _text(body)


def _fields(body: bytes):
    return form_fields(_text(body))


def _exact(page: str, key: str) -> float:
    found = re.search(rf"data-key='{re.escape(key)}' data-exact='([^']+)'", page)
    assert found, f"{key} not on the page"
    return float(found.group(1))


def test_an_idle_session_ends_and_its_folder_goes(tmp_path):
    from recurrence.app.sessions import SessionStore

    store = SessionStore(idle_minutes=1.0, root=str(tmp_path))
    idle, busy = store.new(), store.new()
    idle.last_seen -= 61.0
    assert store.sweep() == 1
    assert not idle.folder.exists() and busy.folder.exists()
    assert store.get(idle.token) is None and store.get(busy.token) is busy
    store.close()
    assert list(tmp_path.iterdir()) == []
