"""Layout profiles end to end (issue 7), on SQLite and PostgreSQL: each shipped profile's fixture is
detected as its own layout and imported to exactly these invoices and payments, to the fen; a
re-import changes nothing; a file no profile fits is refused naming its columns and the two
closest profiles; the IBM data set in ../shared/data is detected and imported as it is."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from huikuan.adapters.db import tables as t
from huikuan.bootstrap import App
from huikuan.domain.errors import ImportRejected
from huikuan.entrypoints.cli.main import main
from huikuan.services.import_profiles import THRESHOLD, detect, import_auto, import_with_profile

PROFILES = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "profiles"
SHARED_IBM = Path(__file__).resolve().parents[3] / "shared" / "data" / "ibm_ar_invoices_2012-01_to_2013-06.csv"
D = date.fromisoformat

# fixture → (profile, invoices {number: (customer, date, amount, open)},
#            payments {number: (customer, date, amount, unapplied)}, skipped rows by kind)
EXPECTED: dict[str, tuple[str, dict[str, tuple[Any, ...]], dict[str, tuple[Any, ...]], dict[str, int]]] = {
    "yonyou_u8_customer_ledger.xlsx": (
        "yonyou-u8-customer-ledger",
        {"XS2601-001": ("C001", D("2026-01-05"), 1200000, 700000),
         "XS2602-007": ("C002", D("2026-02-03"), 860050, 0),
         "XS2602-009": ("C002", D("2026-02-10"), 139950, 0)},
        {"SK2601-001": ("C001", D("2026-01-20"), 500000, 0),
         "SK2602-003": ("C002", D("2026-02-28"), 1000000, 0)},
        {"title": 2, "subtotal": 2, "total": 1}),
    "yonyou_u8_ar_list.csv": (
        "yonyou-u8-ar-list",
        {"0000000012": ("C001", D("2026-01-08"), 2340000, 2340000),
         "0000000013": ("C003", D("2026-01-15"), 117000, 117000),
         "0000000014": ("C002", D("2026-01-20"), 50000, 50000)},
        {}, {"title": 2, "total": 1}),
    "yonyou_tplus_ar_detail.xlsx": (
        "yonyou-tplus-ar-detail",
        {"期初-C001-20260101": ("C001", D("2026-01-01"), 300000, 0),
         "XSD-0101": ("C001", D("2026-01-10"), 450000, 50000),
         "XSD-0215": ("C002", D("2026-02-14"), 226000, 226000)},
        {"SKD-0107": ("C001", D("2026-01-25"), 700000, 0)},
        {"title": 2, "subtotal": 2, "zero": 1, "total": 1}),
    "kingdee_k3_ar_detail.csv": (
        "kingdee-k3-ar-detail",
        {"期初-01.001-20260101": ("01.001", D("2026-01-01"), 680000, 0),
         "XSFP000101": ("01.001", D("2026-01-12"), 1130000, 1130000),
         "XSFP000102": ("01.002", D("2026-02-03"), 90400, 0)},
        {"SKD000045": ("01.001", D("2026-01-28"), 680000, 0),
         "SKD000046": ("01.002", D("2026-02-20"), 100000, 9600)},
        {"title": 3, "total": 2, "cumulative": 1, "blank": 1}),
    "kingdee_kis_statement.xlsx": (
        "kingdee-kis-statement",
        {"期初-0012-20260101": ("0012", D("2026-01-01"), 150000, 0),
         "FP26010009": ("0012", D("2026-01-09"), 800000, 0)},
        {"L-*": ("0012", D("2026-02-16"), 950000, 0)},
        {"title": 3, "total": 2, "cumulative": 1, "closing_balance": 1}),
    "three_column_ledger.xlsx": (
        "three-column-ledger",
        {"期初-C001-20260101": ("C001", D("2026-01-01"), 200000, 0),
         "XS-2026-0042": ("C001", D("2026-01-15"), 565000, 0),
         "XS-2026-0107": ("C002", D("2026-03-03"), 113000, 83000)},
        {"期初-C002-20260101": ("C002", D("2026-01-01"), 30000, 0),
         "L-*": ("C001", D("2026-02-08"), 765000, 0)},
        {"title": 5, "total": 2, "cumulative": 1, "closing_balance": 1}),
    "kingdee_eas_voucher.csv": (
        "kingdee-eas-voucher",
        {"EAS-*0105": ("C001", D("2026-01-05"), 1130000, 330000),
         "EAS-*0118": ("C002", D("2026-01-18"), 565000, 565000)},
        {"EAS-*0202": ("C001", D("2026-02-02"), 800000, 0)},
        {"filtered": 5}),
    "ibm_ar_sample.csv": (
        "ibm-ar-dataset",
        {"0000611365": ("0379-NEVHP", D("2013-01-02"), 5594, 0),
         "0007900770": ("8976-AMJEO", D("2013-01-26"), 6174, 0),
         "0009231909": ("2820-XGXSB", D("2013-07-03"), 6588, 0),
         "0000911082": ("0379-NEVHP", D("2012-12-28"), 10410, 0)},
        {"0000611365-S": ("0379-NEVHP", D("2013-01-15"), 5594, 0),
         "0007900770-S": ("8976-AMJEO", D("2013-03-03"), 6174, 0),
         "0009231909-S": ("2820-XGXSB", D("2013-07-08"), 6588, 0),
         "0000911082-S": ("0379-NEVHP", D("2013-02-04"), 10410, 0)},
        {}),
}


def book(app: App) -> tuple[dict[str, tuple[Any, ...]], dict[str, tuple[Any, ...]]]:
    inv, pay, cu = t.invoice.c, t.payment.c, t.customer.c
    with app.uow() as uow:
        codes = dict(uow.c.execute(select(cu.id, cu.code)).all())
        invoices = {r[0]: (codes[r[1]], r[2], r[3], r[4]) for r in uow.c.execute(
            select(inv.number, inv.customer_id, inv.invoice_on, inv.amount_minor, inv.open_minor))}
        payments = {r[0]: (codes[r[1]], r[2], r[3], r[4]) for r in uow.c.execute(
            select(pay.number, pay.customer_id, pay.paid_on, pay.amount_minor, pay.unapplied_minor))}
    return invoices, payments


def _generated(got: dict[str, tuple[Any, ...]], want: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    """Numbers a layout has none of are generated (``L-…``, ``EAS-…``): match those by content."""
    out = {}
    for number, values in got.items():
        pattern = next((w for w, v in want.items() if "*" in w and v == values and number.startswith(w.split("*")[0])),
                       None)
        out[pattern or number] = values
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_imports_to_exact_invoices_and_payments(app: App, name: str) -> None:
    profile, want_inv, want_pay, skipped = EXPECTED[name]
    det = detect(app, PROFILES / name)
    assert det.chosen is not None and det.chosen.profile.name == profile
    assert det.chosen.fit >= THRESHOLD and all(c.fit < det.chosen.fit or c.located.found < det.chosen.located.found
                                               for c in det.candidates[1:])
    report = import_with_profile(app, PROFILES / name, "ledger", profile)
    assert report.skipped == skipped
    invoices, payments = book(app)
    assert _generated(invoices, want_inv) == want_inv
    assert _generated(payments, want_pay) == want_pay
    # Re-importing the same export changes nothing (opening balances and generated numbers too).
    again = import_with_profile(app, PROFILES / name, "ledger", profile)
    assert again.invoices is not None and again.invoices.unchanged == len(want_inv) and again.invoices.inserted == 0
    if want_pay:
        assert again.payments is not None and again.payments.unchanged == len(want_pay)
    assert book(app) == (invoices, payments)


def test_random_table_fits_no_profile(app: App, tmp_path: Path) -> None:
    path = tmp_path / "random.csv"
    path.write_text("颜色,重量,alpha,beta\n红,12,x,y\n蓝,7,z,w\n", encoding="utf-8")
    det = detect(app, path)
    assert det.chosen is None
    assert det.candidates[0].fit < THRESHOLD
    with pytest.raises(ImportRejected) as e:
        import_auto(app, "invoices", path)
    last = e.value.problems[-1]
    assert last.code == "profile.none_fits"
    assert last.params["columns"] == "颜色, 重量, alpha, beta"
    assert last.params["best"].count("%") == 2  # the two closest profiles, each with what it misses


def test_auto_selection_names_the_profile(app: App) -> None:
    report = import_auto(app, "invoices", PROFILES / "yonyou_u8_ar_list.csv")
    assert getattr(report, "profile", None) == "yonyou-u8-ar-list"
    assert report.fit == 1.0  # type: ignore[union-attr]


def test_canonical_files_still_import_as_before(app: App) -> None:
    from huikuan.services.import_ import import_file

    fixtures = PROFILES.parent

    import_file(app, "customers", fixtures / "customers.csv")
    report = import_auto(app, "payments", fixtures / "payments.csv")
    assert getattr(report, "profile", "x") is None


def test_next_months_export_repeating_rows_changes_nothing(app: App, tmp_path: Path) -> None:
    src = (PROFILES / "kingdee_k3_ar_detail.csv").read_text(encoding="utf-8-sig").splitlines()
    import_with_profile(app, PROFILES / "kingdee_k3_ar_detail.csv", "ledger", "kingdee-k3-ar-detail")
    before = book(app)
    march = tmp_path / "k3_march.csv"
    march.write_text("\n".join([*src[:-1], "2026-03-05,销售发票,XSFP000103,01.002,北方机电贸易公司,销售发票,500.00,,404.00",
                                src[-1]]) + "\n", encoding="utf-8")
    report = import_with_profile(app, march, "ledger", "kingdee-k3-ar-detail")
    assert report.invoices is not None and (report.invoices.inserted, report.invoices.unchanged) == (1, 3)
    after = book(app)
    assert {k: v for k, v in after[0].items() if k != "XSFP000103" and k != "XSFP000102"} == \
        {k: v for k, v in before[0].items() if k != "XSFP000102"}
    assert {k: v[:3] for k, v in after[1].items()} == {k: v[:3] for k, v in before[1].items()}
    # The one thing that moved: the 96.00 overpaid in February now pays part of the March invoice.
    assert after[0]["XSFP000103"][3] == 50000 - 9600 and after[1]["SKD000046"][3] == 0


def test_ibm_data_set_is_detected_and_imported_as_it_is(sqlite_app: App, capsys: pytest.CaptureFixture[str]) -> None:
    assert SHARED_IBM.is_file(), f"the shared data set is missing: {SHARED_IBM}"
    det = detect(sqlite_app, SHARED_IBM)
    assert det.chosen is not None and det.chosen.profile.name == "ibm-ar-dataset" and det.chosen.fit == 1.0
    url = sqlite_app.settings.database_url
    assert main(["--database-url", url, "import", "ledger", str(SHARED_IBM), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["profile"] == "ibm-ar-dataset"
    assert (out["invoices"]["inserted"], out["payments"]["inserted"], out["customers"]["inserted"]) == (1930, 1930, 100)
    invoices, payments = book(sqlite_app)
    assert all(v[3] == 0 for v in invoices.values())  # every invoice settled, as the data set says
    assert sum(v[2] for v in invoices.values()) == sum(v[2] for v in payments.values())
    assert all(len(n) == 10 for n in invoices)  # zero-padded numbers kept as text


def test_cli_profile_option_detect_and_profile_new(app: App, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    url = app.settings.database_url
    f = PROFILES / "kingdee_eas_voucher.csv"
    assert main(["--database-url", url, "import", "detect", str(f), "--json"]) == 0
    det = json.loads(capsys.readouterr().out)
    assert det["profile"] == "kingdee-eas-voucher" and det["mapping"]["customer_code"] == "编码1"
    assert det["preview"][0]["currency"] == "CNY"  # BB01 mapped
    assert main(["--database-url", url, "import", "invoices", str(f), "--profile", "kingdee-eas-voucher"]) == 0
    assert "kingdee-eas-voucher" in capsys.readouterr().out
    invoices, payments = book(app)
    assert len(invoices) == 2 and payments == {}
    out = tmp_path / "mine.toml"
    assert main(["--database-url", url, "import", "profile", "new", "--from", str(PROFILES / "kingdee_k3_ar_detail.csv"),
                 "-o", str(out)]) == 0
    from huikuan.domain.profile import parse_profile

    drafted = parse_profile(out.read_text(encoding="utf-8"), out.name)
    assert drafted.kind == "ledger" and drafted.columns["debit"] == ("本期应收",)
    assert main(["--database-url", url, "import", "profile", "new", "--from", str(f), "-o", str(out)]) == 2


def test_refused_ledger_prints_json_and_names_columns(app: App, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("甲,乙,丙\n1,2,3\n", encoding="utf-8")
    rc = main(["--database-url", app.settings.database_url, "--lang", "en", "import", "ledger", str(path), "--json"])
    assert rc == 2
    out = json.loads(capsys.readouterr().out)
    assert out["refused"] is True and out["problems"][0]["code"] == "profile.none_fits"
    assert "甲, 乙, 丙" in out["problems"][0]["message"]


def test_canonical_xlsx_reads_merged_cells_and_hidden_rows_as_excel_shows_them(app: App, tmp_path: Path) -> None:
    from openpyxl import Workbook

    from huikuan.services.import_ import import_file, import_rows

    import_rows(app, "customers", [{"customer_code": "C1", "name": "甲"}])
    wb = Workbook()
    ws = wb.active
    ws.append(["发票号", "客户编号", "开票日期", "金额"])
    ws.append(["M1", "C1", "2026-01-05", 100])
    ws.append(["M2", None, "2026-01-06", 200])  # the customer cell merged over both rows
    ws.merge_cells("B2:B3")
    ws.row_dimensions[3].hidden = True
    wb.save(tmp_path / "merged.xlsx")
    report = import_file(app, "invoices", tmp_path / "merged.xlsx")
    assert report.inserted == 2
    invoices, _ = book(app)
    assert invoices["M2"][0] == "C1" and invoices["M2"][2] == 20000


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_import_invoices_without_profile_picks_the_fitting_one(sqlite_app: App, name: str) -> None:
    """No --profile: the canonical headers are missing, so the best profile (fit ≥ 80 %) is used and named."""
    profile, want_inv, _pay, _skipped = EXPECTED[name]
    report = import_auto(sqlite_app, "invoices", PROFILES / name)
    assert getattr(report, "profile", None) == profile
    invoices, payments = book(sqlite_app)
    assert sorted(v[:3] for v in invoices.values()) == sorted(v[:3] for v in want_inv.values())
    assert payments == {}
