"""The report: its numbers are the API's numbers in each of its three faces (PDF, Word,
HTML), its sections are there in order and only when their analysis applies, it never
prints a patient identifier, and it is written whole or not at all."""

from __future__ import annotations

import io
import re
import warnings

import pandas as pd
import pytest
from click.testing import CliRunner
from helpers_report import docx_text, html_text, pdf_text
from pypdf import PdfReader

from recurrence import DataError, StatisticalWarning, load_cohort, load_studies, meta, report
from recurrence._format import ci_text, pct
from recurrence.cli import main
from recurrence.report._format import ratio
from recurrence.survival import cox, fine_gray, reherniation_rates, risk_difference

SECTIONS = [
    "Summary",
    "1. Data",
    "2. Reherniation over time",
    "3. Effect of closure",
    "4. Subgroups",
    "5. Unmeasured confounding",
    "6. The published evidence",
    "7. Every rate against the published range",
    "8. Methods",
    "9. Caveats",
    "10. Reporting checklists",
    "11. Appendix: the plan and reproducibility",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    doc = report.build(out=folder / "report.pdf")
    doc.write(folder / "report.docx")
    doc.write(folder / "report.html")
    reader = PdfReader(io.BytesIO((folder / "report.pdf").read_bytes()))
    return {
        "doc": doc,
        "pages": len(reader.pages),
        "pdf": pdf_text(folder / "report.pdf"),
        "docx": docx_text(folder / "report.docx"),
        "html": html_text(folder / "report.html"),
    }


@pytest.mark.parametrize("face", ["pdf", "docx", "html"])
def test_sections_in_order_in_every_face(built, face):
    text = built[face]
    positions = [text.find(s) for s in SECTIONS]
    assert all(p >= 0 for p in positions), [
        s for s, p in zip(SECTIONS, positions, strict=True) if p < 0
    ]
    assert positions == sorted(positions), "sections out of order"


def test_page_numbers(built):
    assert built["pages"] >= 10
    assert f"Page 1 of {built['pages']}" in built["pdf"]


@pytest.mark.parametrize("face", ["pdf", "docx", "html"])
def test_headline_numbers_equal_the_api_in_every_face(built, face):
    text = built[face]
    cohort = load_cohort()
    rates = reherniation_rates(cohort, at=(12, 24, 60)).table
    for _, row in rates.iterrows():
        assert pct(row["incidence"]) in text, (row["group"], row["time"])
        assert ci_text(row["ci_low"], row["ci_high"]) in text
    hr = cox(cohort, ["closure"]).table.loc["closure"]
    assert (
        f"hazard ratio of closure was {ratio(hr['hr'])} ({ci_text(hr['ci_low'], hr['ci_high'], ratio)}"
        in text
    )
    shr = fine_gray(cohort, ["closure"]).table.loc["closure"]
    assert f"subdistribution hazard ratio {ratio(shr['shr'])}" in text
    adjusted = cox(cohort, ["closure", "age", "smoker", "diabetes", "defect_width_mm"]).table
    for term in adjusted.index:  # every term of the adjusted model, not only closure
        t = adjusted.loc[term]
        assert (
            f"Cox, adjusted {term} {ratio(t['hr'])} {ci_text(t['ci_low'], t['ci_high'], ratio)}"
            in text
        )
    rd = risk_difference(cohort, [24])
    assert rd.sentence(24) in text
    studies = load_studies()
    with warnings.catch_warnings():  # τ² = 0 here, which the meta-analysis says loudly
        warnings.simplefilter("ignore", StatisticalWarning)
        rr = meta.compare_studies(studies, "RR", method="REML", hksj=True)
    assert (
        f"pooled RR of reherniation with closure was {ratio(rr.estimate)} ({ci_text(rr.ci_low, rr.ci_high, ratio)}"
        in text
    )
    bayes = meta.compare_studies(studies, "RR", method="bayes")
    assert f"gives {ratio(bayes.estimate)} ({ci_text(bayes.ci_low, bayes.ci_high, ratio)})" in text


def test_the_three_faces_hold_the_same_words(built):
    words = built["doc"].text()
    for line in [w for w in words.splitlines() if len(w) > 30][:60]:
        probe = re.sub(r"\s+", " ", line)[:60]
        for face in ("pdf", "docx", "html"):
            assert probe in built[face], (face, probe)


def test_every_printed_rate_has_a_verdict(built):
    doc, text = built["doc"], built["pdf"]
    assert len(doc.analyses.ranges) >= 8
    assert text.count("within 3–27%") + text.count("below 3–27%") >= 8


def test_figures_and_tables_are_numbered_and_cited(built):
    doc = built["doc"].document
    figures = [f.number for f in doc.figures]
    tables = [t.number for t in doc.tables]
    assert figures == list(range(1, len(figures) + 1))
    assert tables == list(range(1, len(tables) + 1))
    text = doc.text()
    for f in doc.figures:  # every figure is referred to in the text, not only captioned
        assert text.count(f"Figure {f.number}") >= 2, f.label


def test_checklists_point_at_sections_that_exist(built):
    doc = built["doc"].document
    sections = doc.sections()
    check = [t for t in doc.tables if t.label in ("tab:strobe", "tab:prisma")]
    assert len(check) == 2
    for t in check:
        for where in t.frame["where"]:
            if where.startswith("Section "):
                assert int(where.split()[1]) in sections.values(), where
            else:
                assert where.startswith("not addressed: ")
        assert t.refs, "the PDF gives the page of each addressed item"
    assert re.search(r"Section \d+, page \d+", built["pdf"])


def test_no_patient_identifier_anywhere(built):
    ids = load_cohort()["patient_id"]
    for face in ("pdf", "docx", "html"):
        assert not set(re.findall(r"P\d{5}", built[face])), face
    assert not any(pid in built["pdf"] for pid in ids.head(200))


def test_the_identifier_guard_refuses_to_print_ids():
    from recurrence.report import _no_identifiers

    cohort = pd.DataFrame({"patient_id": ["AB-17", "123"]})
    with pytest.raises(RuntimeError, match="1 patient identifier"):
        _no_identifiers("patient AB-17 had an event", cohort)
    _no_identifiers("123 patients", cohort)  # digits only: a count, not an id


def test_tables_are_exported_safely(built, tmp_path):
    doc = built["doc"]
    written = doc.write_tables(tmp_path / "tables")
    names = sorted(p.name for p in written)
    assert {"rates.csv", "models.csv", "studies_effect.csv", "risk_difference.csv"} <= set(names)
    rates = pd.read_csv(tmp_path / "tables" / "rates.csv")
    assert rates["incidence"].tolist() == pytest.approx(
        doc.analyses.rates.table["incidence"].tolist()
    )
    models = pd.read_csv(tmp_path / "tables" / "models.csv")
    assert set(models["model"]) == {"cox", "cox_adjusted", "fine_gray", "fine_gray_adjusted"}
    studies = load_studies().assign(study=lambda d: d["study"].where(d.index != 0, "=HYPERLINK(1)"))
    report.build(studies=studies, tables=tmp_path / "risky")
    text = (tmp_path / "risky" / "studies_effect.csv").read_text()
    assert "'=HYPERLINK(1)" in text and "\n=HYPERLINK" not in text


def test_written_whole_or_not_at_all(tmp_path, monkeypatch):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"the previous report")

    def broken(doc):
        raise KeyboardInterrupt  # the user pressed Ctrl-C while the PDF was rendering

    monkeypatch.setattr("recurrence.report.render_typst.render_pdf", broken)
    with pytest.raises(KeyboardInterrupt):
        report.build(out=target)
    assert target.read_bytes() == b"the previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_the_extension_picks_the_format(tmp_path):
    with pytest.raises(DataError, match=r"the report's extension '.txt' is not a format it writes"):
        report.build(studies="builtin", out=tmp_path / "r.txt")
    assert list(tmp_path.iterdir()) == []


def test_command_line(tmp_path):
    out = tmp_path / "r.pdf"
    result = CliRunner().invoke(
        main, ["report", "--out", str(out), "--horizon", "12", "--title", "Our spine unit"]
    )
    assert result.exit_code == 0, result.output
    text = pdf_text(out)
    assert "Our spine unit" in text
    assert "recurrence report --horizon 12.0 --title 'Our spine unit' --out" in text
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


def test_no_section_for_an_analysis_that_does_not_apply():
    cohort = load_cohort()[["patient_id", "closure", "time", "event"]]  # no covariates
    doc = report.build(cohort=cohort, studies="builtin")
    text = doc.text()
    assert "Subgroups" not in [
        h.text.split(". ", 1)[-1] for h in doc.document.blocks if hasattr(h, "level")
    ]
    assert "No adjustment covariate was planned or available" in text
    assert "adjusted for age" not in text and "Cox, adjusted" not in text
    assert "Missing data" not in text
    assert "Detected at imaging" not in text
