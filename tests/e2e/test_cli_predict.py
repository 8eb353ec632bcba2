"""``huikuan model train``, ``predict --json``, ``forecast`` and ``model evaluate`` as a user runs them.

On both databases: the JSON shape (invoice numbers as imported, leading zeros kept; p_late in [0, 1];
expected pay dates never before D; no NaN), bad input (no settled history, one customer, an as-of date
before the first invoice) answered by the history rule with a clear notice, and forecast weeks adding up
to exactly the open amount; a model stored before a feature was added falls back to the rule, saying so. On
SQLite: the model beats the customer-history rule on the IBM file's time split (trained before 2013-01-01,
scored after)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from huikuan.entrypoints.cli.main import main

IBM = Path(__file__).resolve().parents[3] / "shared" / "data" / "ibm_ar_invoices_2012-01_to_2013-06.csv"

CUSTOMERS = "customer_code,name,terms\nK1,甲公司,net 30\nK2,乙公司,net 30\n"


def _invoices(customers: tuple[str, ...], n: int) -> tuple[str, str]:
    inv = ["invoice_no,customer_code,invoice_date,due_date,amount"]
    pay = ["payment_no,customer_code,payment_date,amount,invoice_no"]
    for k in range(n):
        c = customers[k % len(customers)]
        on = date(2026, 1, 5).toordinal() + 4 * k
        number = f"00{k:05d}"
        inv.append(f"{number},{c},{date.fromordinal(on)},{date.fromordinal(on + 30)},{100 + k}.50")
        delay = 20 + (k * 7) % 25 + (12 if c == "K2" else 0)
        if on + delay < date(2026, 9, 1).toordinal():
            pay.append(f"P{k},{c},{date.fromordinal(on + delay)},{100 + k}.50,{number}")
    return "\n".join(inv) + "\n", "\n".join(pay) + "\n"


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--database-url", db_url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    def load(customers: str, invoices: str, payments: str | None) -> None:
        for kind, text in (("customers", customers), ("invoices", invoices), ("payments", payments)):
            if text is not None and text.count("\n") > 1:
                (tmp_path / f"{kind}.csv").write_text(text, encoding="utf-8")
                code, out, err = run("import", kind, str(tmp_path / f"{kind}.csv"))
                assert code == 0, out + err

    run.load = load  # type: ignore[attr-defined]
    run.db_url = db_url  # type: ignore[attr-defined]
    return run


def _check_shape(doc: dict, as_of: str) -> None:
    assert doc["as_of"] == as_of and isinstance(doc["predictions"], list)
    for p in doc["predictions"]:
        assert set(p) >= {"invoice", "p_late", "expected_pay_date", "customer", "why"}
        assert 0.0 <= p["p_late"] <= 1.0 and math.isfinite(p["p_late"])
        assert p["expected_pay_date"] >= as_of and isinstance(p["why"], list) and p["why"]


def test_train_then_predict_json(cli):
    cli.load(CUSTOMERS, *_invoices(("K1", "K2"), 60))
    assert cli("run", "--as-of", "2026-09-01")[0] in (0, 1)
    code, out, _ = cli("worklist", "--as-of", "2026-09-01", "--json")
    before = json.loads(out)
    assert "金额大的在前" in cli("worklist", "--as-of", "2026-09-01")[1]
    assert before and all(t["why"] is None for t in before)  # no model: today's order, no reasons
    assert [float(t["amount"]) for t in before] == sorted((float(t["amount"]) for t in before), reverse=True)
    code, out, err = cli("model", "train", "--as-of", "2026-09-01")
    assert code == 0 and "LightGBM" in out, out + err
    code, out, err = cli("predict", "--as-of", "2026-09-01", "--json")
    assert code == 0, err
    assert "NaN" not in out and "Infinity" not in out
    doc = json.loads(out)
    _check_shape(doc, "2026-09-01")
    assert doc["method"] == "lightgbm" and doc["model_version"] == 1
    # written by the CLI's own fast writer: the very text json.dumps(indent=2) gives
    assert out == json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    numbers = {p["invoice"] for p in doc["predictions"]}
    # open at D: issued before it and not paid before it — leading zeros as imported
    assert "0000000" not in numbers and "0000059" in numbers and all(n.startswith("00") for n in numbers)
    assert {p["customer"] for p in doc["predictions"]} == {"K1", "K2"}
    # the monthly report asks only about what falls due next month: the same predictions, fewer of them
    from huikuan.bootstrap import bootstrap
    from huikuan.config import Settings
    from huikuan.services import prediction

    app = bootstrap(Settings(database_url=cli.db_url))  # type: ignore[attr-defined]
    window = (date(2026, 9, 10), date(2026, 9, 20))
    try:
        some = prediction.predict(app, date(2026, 9, 1), due_between=window)
    finally:
        app.engine.dispose()
    assert some.predictions and len(some.predictions) < len(doc["predictions"])
    assert [(p.invoice, round(p.p_late, 4), p.expected_pay_date.isoformat()) for p in some.predictions] == [
        (p["invoice"], p["p_late"], p["expected_pay_date"]) for p in doc["predictions"]
        if window[0].isoformat() <= p["due_date"] <= window[1].isoformat()]
    code, out, _ = cli("predict", "--as-of", "2026-09-01")
    assert code == 0 and "逾期概率" in out
    code, out, _ = cli("worklist", "--as-of", "2026-09-01", "--json")
    after = json.loads(out)
    assert sorted(t["id"] for t in after) == sorted(t["id"] for t in before)
    assert all(t["why"] for t in after if not t["needs_approval"])  # the model's reasons beside each task
    assert "按模型估计的回款价值排序" in cli("worklist", "--as-of", "2026-09-01")[1]  # and the title says how
    # a model learned from facts up to 09-01 is not used for an earlier date: the rule answers, and says why
    code, out, err = cli("predict", "--as-of", "2026-06-01", "--json")
    doc = json.loads(out)
    assert doc["method"] == "history_rule" and "客户历史规则" in doc["notices"][0]
    _check_shape(doc, "2026-06-01")
    # a model stored before a feature was added (2026-11-28: ``electronic``) would read the wrong columns: the
    # rule answers and says the model must be trained again, until it is
    from sqlalchemy import update

    from huikuan.adapters.db import tables as t

    app = bootstrap(Settings(database_url=cli.db_url))  # type: ignore[attr-defined]
    try:
        with app.uow() as uow:
            meta = dict(uow.analytics.latest_model(prediction.KIND).meta)
            meta["features"] = [f for f in meta["features"] if f != "electronic"]
            uow.c.execute(update(t.prediction_model).values(meta=meta))
            uow.commit()
    finally:
        app.engine.dispose()
    code, out, err = cli("predict", "--as-of", "2026-09-01", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["method"] == "history_rule" and "重新训练" in doc["notices"][0], out + err
    _check_shape(doc, "2026-09-01")
    assert cli("model", "train", "--as-of", "2026-09-01")[0] == 0
    assert json.loads(cli("predict", "--as-of", "2026-09-01", "--json")[1])["method"] == "lightgbm"


def test_forecast_weeks_add_up_to_the_open_amount(cli):
    cli.load(CUSTOMERS, *_invoices(("K1", "K2"), 60))
    assert cli("model", "train", "--as-of", "2026-09-01")[0] == 0
    code, out, err = cli("forecast", "--as-of", "2026-09-01", "--weeks", "6", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    cents = [round(float(w["expected"]) * 100) for w in doc["weeks"]]
    assert sum(cents) + round(float(doc["later"]) * 100) == round(float(doc["open"]) * 100) > 0
    assert [w["week"] for w in doc["weeks"]][:2] == ["2026-W36", "2026-W37"]
    assert all(float(w["low"]) <= float(w["expected"]) <= float(w["high"]) for w in doc["weeks"])
    # a week later the first forecast week has passed: forecast and actual side by side, with WAPE
    assert cli("pay", "K2", "--amount", "150", "--date", "2026-09-03")[0] == 0
    code, out, _ = cli("forecast", "--as-of", "2026-09-08", "--weeks", "6", "--format", "json")
    doc = json.loads(out)
    assert [p["week"] for p in doc["past"]] == ["2026-W36"] and doc["wape_pct"] is not None
    code, out, _ = cli("forecast", "--as-of", "2026-09-08")
    assert code == 0 and "WAPE" in out


@pytest.mark.parametrize(("case", "notice"), [
    ("nothing_settled", "还没有任何结清的发票"),
    ("one_customer", "同一个客户"),
    ("before_first_invoice", "之前没有任何发票"),
])
def test_bad_input_falls_back_to_the_history_rule_with_a_clear_message(cli, case, notice):
    invoices, payments = _invoices(("K1",) if case == "one_customer" else ("K1", "K2"), 80)
    cli.load(CUSTOMERS, invoices, None if case == "nothing_settled" else payments)
    as_of = "2026-01-01" if case == "before_first_invoice" else "2026-09-01"
    code, out, err = cli("model", "train", "--as-of", as_of)
    assert code == 0 and "Traceback" not in out + err
    if case != "before_first_invoice":
        assert "客户历史规则" in err
    code, out, err = cli("predict", "--as-of", as_of, "--json")
    assert code == 0 and "NaN" not in out
    doc = json.loads(out)
    _check_shape(doc, as_of)
    assert doc["method"] == "history_rule" and any(notice in n for n in doc["notices"]), doc["notices"]
    if case == "before_first_invoice":
        assert doc["predictions"] == []
    else:
        assert doc["predictions"]


def test_the_model_beats_the_history_rule_on_the_ibm_time_split(sqlite_app, tmp_path, monkeypatch, capsys):
    """The IBM file imported as it is, through the CLI's ERP profile; one model trained before 2013-01-01,
    scored weekly after it on the invoices not yet due (docs/model.md)."""
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))
    url = str(sqlite_app.engine.url)
    assert main(["--database-url", url, "import", "ledger", str(IBM), "--profile", "ibm-ar-dataset"]) == 0
    capsys.readouterr()
    assert main(["--database-url", url, "model", "evaluate", "--train-before", "2013-01-01", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    model, rule = doc["model"], doc["history_rule"]
    assert doc["method"] == "lightgbm" and model["n"] == rule["n"] > 2000
    # measured 2026-11-28: model AUC 0.869, MAE 5.87 d; rule 0.849, 6.38 d. Without the channel shift (the
    # past delays moved to the invoice's billing channel) the model scored MAE 6.09 d (before it: AUC 0.864,
    # MAE 6.12 d), and without the survival features AUC 0.855: the margins below fail then.
    assert model["auc"] >= 0.865 and model["auc"] - rule["auc"] >= 0.015
    assert model["mae_days"] <= rule["mae_days"] - 0.4 and model["mae_days"] <= 6.0 and model["wape_pct"] < 40


def test_the_columnar_path_predicts_what_the_per_row_path_predicts(cli):
    """``predict`` with a model runs on NumPy columns (services/prediction_fast.py); the per-row path over
    ``load_book`` (the definition) must give the very same predictions, reasons and order — with promises,
    disputes, contacts and invoices paid on and after D in the book, so every feature has something to read."""
    cli.load(CUSTOMERS, *_invoices(("K1", "K2"), 60))
    for args in (("promise", "K1", "--amount", "120", "--date", "2026-07-20", "--made-on", "2026-07-10"),
                 ("promise", "K2", "--amount", "90", "--date", "2026-08-25", "--made-on", "2026-08-20"),
                 ("dispute", "0000058", "--category", "quality", "--opened-on", "2026-08-28"),
                 ("log-contact", "K2", "--channel", "phone", "--outcome", "no_answer", "--at", "2026-08-10T10:00"),
                 ("log-contact", "K1", "--channel", "phone", "--outcome", "reached", "--at", "2026-08-30T10:00"),
                 ("pay", "K1", "--amount", "140.50", "--date", "2026-09-01")):
        code, out, err = cli(*args)
        assert code == 0, out + err
    assert cli("model", "train", "--as-of", "2026-09-01")[0] == 0
    # a new customer, nothing settled yet: its reasons say "no record yet", not "= -1", in both paths
    cli.load("customer_code,name,terms\nK9,新客户,net 30\n",
             "invoice_no,customer_code,invoice_date,due_date,amount\nN1,K9,2026-08-20,2026-09-19,5000\n", None)
    from huikuan.bootstrap import bootstrap
    from huikuan.config import Settings
    from huikuan.services import prediction

    app = bootstrap(Settings(database_url=cli.db_url))  # type: ignore[attr-defined]
    try:
        with app.uow(write=False) as uow:
            row = uow.analytics.latest_model(prediction.KIND)
        model = (dict(row.meta), str(row.blob))
        for d in (date(2026, 9, 1), date(2026, 9, 2), date(2026, 10, 15)):
            fast = prediction.predict(app, d)
            plain = prediction._predict(app, prediction.load_book(app, d), model, int(row.version), [])
            assert fast.method == plain.method == "lightgbm" and fast.notices == plain.notices
            assert len(fast.predictions) >= 8
            assert len(fast.predictions) == len(plain.predictions)
            new = next(p for p in fast.predictions if p.invoice == "N1")
            assert any(f.endswith(":none") for f, _v, _c in new.why), new.why
            assert not any(f.endswith(":none") and f[:-5] in ("hist_mean_delay", "hist_max_delay")
                           for p in fast.predictions if p.customer != "K9" for f, _v, _c in p.why)
            for a, b in zip(fast.predictions, plain.predictions, strict=True):
                # contributions come from per-tree tables (adapters/predict/small_trees.py), summed in another
                # order than LightGBM's TreeSHAP: equal to rounding; everything else to the bit
                assert replace(a, why=[]) == replace(b, why=[])
                assert [(f, v) for f, v, _c in a.why] == [(f, v) for f, v, _c in b.why]
                assert [c for _f, _v, c in a.why] == pytest.approx([c for _f, _v, c in b.why], rel=1e-9, abs=1e-12)
            # the CLI's direct writer gives the generic writer's text (json.dumps(indent=2)) to the byte
            from huikuan.entrypoints.cli import analytics_model as cli_model

            assert cli_model.predictions_text(fast) == cli_model.dumps_indented(cli_model.prediction_json(fast))
    finally:
        app.engine.dispose()


def test_training_rows_from_the_feature_matrix_train_the_very_same_model(cli, monkeypatch):
    """Training takes its snapshot rows from the feature matrix; the per-row definition gives the same
    model text (every booster, split and leaf)."""
    cli.load(CUSTOMERS, *_invoices(("K1", "K2"), 60))
    from huikuan.bootstrap import bootstrap
    from huikuan.config import Settings
    from huikuan.services import prediction

    app = bootstrap(Settings(database_url=cli.db_url))  # type: ignore[attr-defined]
    try:
        book = prediction.load_book(app, date(2026, 9, 1))
        fast = prediction._train(app, book, store=False)
        monkeypatch.setattr(prediction, "_sample_rows", lambda h, samples: __import__("numpy").array(
            [h.features(s.invoice, s.at) for s in samples]))
        plain = prediction._train(app, book, store=False)
    finally:
        app.engine.dispose()
    assert fast[0].method == "lightgbm" and fast[0].samples > 100
    assert fast[2] == plain[2] and fast[1] == plain[1]


def test_the_columnar_rule_predicts_what_the_per_row_rule_predicts(cli):
    """Without a model ``predict`` runs the customer-history rule on NumPy columns
    (``prediction_fast.predict_rule_columns``); the per-row path over ``load_book`` (``history_rule``, the
    definition) must give the very same predictions, reasons, notices and order: with an invoice paid on D,
    invoices past due, a customer with nothing settled yet, a book with nothing settled and one with no
    invoice at all."""
    invoices, payments = _invoices(("K1", "K2"), 60)
    cli.load(CUSTOMERS + "K3,丙公司,net 30\n", invoices + "0900001,K3,2026-08-20,2026-09-19,500.00\n", payments)
    code, out, err = cli("pay", "K1", "--amount", "154.50", "--date", "2026-09-01", "--invoice", "0000054")
    assert code == 0, out + err  # invoice 0000054 settled on 09-01: open that day, history the day after
    from huikuan.bootstrap import bootstrap
    from huikuan.config import Settings
    from huikuan.services import prediction

    app = bootstrap(Settings(database_url=cli.db_url))  # type: ignore[attr-defined]
    try:
        for d in (date(2026, 9, 1), date(2026, 9, 2), date(2026, 10, 15), date(2026, 1, 10), date(2026, 1, 1)):
            fast = prediction.predict(app, d)
            plain = prediction._predict(app, prediction.load_book(app, d), None, None, [])
            assert fast.method == plain.method == "history_rule" and fast.model_version is None
            assert fast.notices == [("predict.no_model", {})] + plain.notices
            assert fast.predictions == plain.predictions
            window = (d + timedelta(days=5), d + timedelta(days=20))
            assert prediction.predict(app, d, due_between=window).predictions == [
                p for p in plain.predictions if window[0] <= p.due_on <= window[1]]
            if d == date(2026, 9, 1):
                assert len(fast.predictions) >= 8 and {p.customer for p in fast.predictions} == {"K1", "K2", "K3"}
                assert any(p.p_late == 1.0 for p in fast.predictions)  # past due
                assert "0000054" in {p.invoice for p in fast.predictions}
                assert [w[1] for p in fast.predictions if p.customer == "K3" for w in p.why] == [0.0]
            if d == date(2026, 1, 10):
                assert fast.predictions and ("predict.no_settled_history", {}) in fast.notices
            if d == date(2026, 1, 1):
                assert not fast.predictions and fast.notices[-1][0] == "predict.no_invoices"
    finally:
        app.engine.dispose()
