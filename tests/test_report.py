"""The PDF report: its numbers are the API's numbers, its sections are there, it never
prints a patient identifier, and it is written whole or not at all."""

from __future__ import annotations

import io
import re
import warnings

import pandas as pd
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from recurrence import DataError, StatisticalWarning, load_cohort, load_studies, meta, report
from recurrence.cli import main
from recurrence.report.content import pct, ratio
from recurrence.survival import cox, fine_gray, reherniation_rates

SECTIONS = [
    "Summary",
    "1. Data",
    "2. Reherniation over time",
    "3. Effect of closure",
    "4. The published evidence",
    "5. Every rate against the published range",
    "6. Methods",
    "7. Caveats",
    "Appendix: reproducibility",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.pdf"
    doc = report.build(out=out)
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return doc, reader, re.sub(r"\s+", " ", text)


def test_sections_and_pages(built):
    _, reader, text = built
    assert len(reader.pages) >= 8
    positions = [text.find(s) for s in SECTIONS]
    assert all(p >= 0 for p in positions), [
        s for s, p in zip(SECTIONS, positions, strict=True) if p < 0
    ]
    assert positions == sorted(positions), "sections out of order"
    assert f"Page 1 of {len(reader.pages)}" in text


def test_headline_rates_equal_the_api(built):
    _, _, text = built
    rates = reherniation_rates(load_cohort(), at=(12, 24, 60)).table
    for _, row in rates.iterrows():
        assert pct(row["incidence"]) in text, (row["group"], row["time"])
        assert f"{pct(row['ci_low'])} to {pct(row['ci_high'])}" in text
    control = rates[(rates.group == "no closure") & (rates.time == 24)].iloc[0]
    assert f"by 24 months was {pct(control['incidence'])}" in text


def test_hazard_ratios_equal_the_api(built):
    _, _, text = built
    cohort = load_cohort()
    hr = cox(cohort, ["closure"]).table.loc["closure"]
    shr = fine_gray(cohort, ["closure"]).table.loc["closure"]
    assert (
        f"hazard ratio of closure was {ratio(hr['hr'])} ({ratio(hr['ci_low'])} to {ratio(hr['ci_high'])}"
        in text
    )
    assert f"subdistribution hazard ratio {ratio(shr['shr'])}" in text
    adjusted = cox(cohort, ["closure", "age", "smoker", "diabetes", "defect_width_mm"]).table.loc[
        "closure"
    ]
    assert (
        f"Cox, adjusted {ratio(adjusted['hr'])} {ratio(adjusted['ci_low'])} to {ratio(adjusted['ci_high'])}"
        in text
    )


def test_pooled_estimates_equal_the_api(built):
    _, _, text = built
    studies = load_studies()
    with warnings.catch_warnings():  # τ² = 0 here, which the meta-analysis says loudly
        warnings.simplefilter("ignore", StatisticalWarning)
        rr = meta.compare_studies(studies, "RR", method="REML", hksj=True)
    assert (
        f"pooled RR of reherniation with closure was {ratio(rr.estimate)} ({ratio(rr.ci_low)} to {ratio(rr.ci_high)}"
        in text
    )
    control = meta.pool_arm(studies, arm="control", transform="logit", method="REML")
    assert f"Pooled reherniation without closure was {pct(control.estimate)}" in text


def test_every_printed_rate_has_a_verdict(built):
    doc, _, text = built
    assert len(doc.analyses.ranges) >= 8
    assert text.count("within 3–27%") + text.count("below 3–27%") + text.count("above 3–27%") >= 8
    assert "The published range, 3–27%, is reherniation without closure" in text


def test_no_patient_identifier_anywhere(built):
    doc, _, text = built
    ids = load_cohort()["patient_id"]
    assert not any(pid in text for pid in ids.head(200))
    assert not set(re.findall(r"P\d{5}", doc.html))


def test_free_text_columns_are_not_printed(tmp_path):
    cohort = load_cohort().assign(surgeon_note=lambda d: "seen as " + d["patient_id"])
    report.build(cohort=cohort, html=tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text()
    assert "seen as" not in html and "P00001" not in html
    assert "Columns not shown in table one" in html and "surgeon_note" in html


def test_tables_are_exported_safely(built, tmp_path):
    doc, _, _ = built
    written = doc.write_tables(tmp_path / "tables")
    names = sorted(p.name for p in written)
    assert "rates.csv" in names and "models.csv" in names and "studies_risk_ratio.csv" in names
    rates = pd.read_csv(tmp_path / "tables" / "rates.csv")
    assert rates["incidence"].tolist() == pytest.approx(
        doc.analyses.rates.table["incidence"].tolist()
    )
    models = pd.read_csv(tmp_path / "tables" / "models.csv")
    assert set(models["model"]) == {"cox", "cox_adjusted", "fine_gray", "fine_gray_adjusted"}
    # a study label that a spreadsheet would run as a formula is written as text
    studies = load_studies().assign(study=lambda d: d["study"].where(d.index != 0, "=HYPERLINK(1)"))
    risky = report.build(studies=studies, tables=tmp_path / "risky")
    assert risky is not None
    text = (tmp_path / "risky" / "studies_risk_ratio.csv").read_text()
    assert "'=HYPERLINK(1)" in text and "\n=HYPERLINK" not in text


def test_the_identifier_guard_refuses_to_print_ids():
    from recurrence.report import _no_identifiers

    cohort = pd.DataFrame({"patient_id": ["AB-17", "123"]})
    with pytest.raises(RuntimeError, match="1 patient identifier"):
        _no_identifiers("<p>patient AB-17 had an event</p>", cohort)
    _no_identifiers("<p>123 patients</p>", cohort)  # digits only: a count, not an id


def test_pdf_written_whole_or_not_at_all(tmp_path, monkeypatch):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"the previous report")

    def broken(html, base_url=None):
        raise KeyboardInterrupt  # the user pressed Ctrl-C while the PDF was rendering

    monkeypatch.setattr("recurrence.report._weasyprint.html_to_pdf", broken)
    with pytest.raises(KeyboardInterrupt):
        report.build(out=target)
    assert target.read_bytes() == b"the previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_command_line(tmp_path):
    out = tmp_path / "r.pdf"
    result = CliRunner().invoke(
        main, ["report", "--out", str(out), "--horizon", "12", "--title", "Our spine unit"]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(p.extract_text() for p in PdfReader(out).pages)
    assert "Our spine unit" in re.sub(r"\s+", " ", text)
    assert "recurrence report --horizon 12.0 --title 'Our spine unit' --out" in re.sub(
        r"\s+", " ", text
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,closure,time,event\na,1,-1,1\n")
    result = CliRunner().invoke(
        main, ["report", "--cohort", str(bad), "--out", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == 2 and "bad.csv: 1 problem" in result.stderr
    assert "  - column 'time', row 1: is 0 or negative" in result.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_bad_arguments():
    with pytest.raises(DataError, match="horizon must be > 0"):
        report.build(horizon=0)
