"""Consumer scoring on a cardholder book (issue 11, item 7): ``huikuan import cardholders``, then the same
``model train``, ``model evaluate`` and ``predict --json`` as on an invoice book.

On SQLite: the UCI "default of credit card clients" file imported as it is; every third cardholder (by
number) held out; ROC AUC ≥ 0.785 on them. On both databases: a 2,000-cardholder slice trains and predicts
(one score per cardholder, the payment JSON keys that apply), protected attributes (sex, education,
marriage, age) are dropped at import and refused as features, and a bad cell is reported by row and column
with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from huikuan.domain.consumer import CONSUMER_FEATURES, PROTECTED, check_no_protected
from huikuan.domain.errors import InvalidInput
from huikuan.entrypoints.cli.main import main
from huikuan.services import consumer

UCI = Path(__file__).resolve().parents[3] / "shared" / "data" / "uci_default_of_credit_card_clients.csv"


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))

    def make(url: str):
        def run(*args: str) -> tuple[int, str, str]:
            code = main(["--database-url", url, *args])
            out = capsys.readouterr()
            return code, out.out, out.err
        return run

    return make


def _slice(tmp_path: Path, n: int) -> Path:
    lines = UCI.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "cards.csv"
    path.write_text("\n".join(lines[: n + 1]) + "\n", encoding="utf-8")
    return path


def test_held_out_auc_on_the_uci_file(sqlite_app, cli):
    run = cli(str(sqlite_app.engine.url))
    code, out, err = run("import", "cardholders", str(UCI), "--json")
    assert code == 0, out + err
    doc = json.loads(out)
    assert doc["rows"] == doc["inserted"] == doc["labelled"] == 30_000
    assert doc["dropped_protected"] == ["SEX", "EDUCATION", "MARRIAGE", "AGE"]
    code, out, err = run("model", "evaluate", "--json")  # a cardholder book: the consumer model by itself
    assert code == 0, err
    ev = json.loads(out)
    assert ev["kind"] == "consumer" and ev["held_out"] == 10_000 and ev["trained"] == 20_000
    assert ev["auc"] >= 0.785, ev


def test_train_and_predict_on_a_cardholder_book(app, cli, tmp_path):
    run = cli(str(app.engine.url))
    assert run("import", "cardholders", str(_slice(tmp_path, 2000)))[0] == 0
    code, out, err = run("model", "train")
    assert code == 0 and "2000" in out, out + err
    code, out, err = run("predict", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["kind"] == "consumer" and doc["method"] == "lightgbm" and doc["model_version"] == 1
    preds = doc["predictions"]
    assert len(preds) == 2000 and {p["customer"] for p in preds} == {str(k) for k in range(1, 2001)}
    for p in preds:
        assert set(p) == {"customer", "p_late", "why"} and 0.0 <= p["p_late"] <= 1.0 and len(p["why"]) == 3
    by_code = {p["customer"]: p["p_late"] for p in preds}
    # cardholder 1 was two months late twice (defaulted); cardholder 4 always paid (did not)
    assert by_code["1"] > by_code["4"]
    code, out, _ = run("predict")
    assert code == 0 and "下月违约概率" in out


def test_protected_attributes_are_never_features(app, tmp_path):
    assert not {f.lower() for f in CONSUMER_FEATURES} & PROTECTED
    consumer.import_cardholders(app, _slice(tmp_path, 300))
    with app.uow(write=False) as uow:
        stored = uow.analytics.cardholders()
    assert len(stored) == 300 and all(len(r) == 6 for r in stored)  # code, limit, status, bills, paid, label
    with pytest.raises(InvalidInput) as e:
        check_no_protected((*CONSUMER_FEATURES, "AGE"))
    assert e.value.params["value"] == "AGE"
    book = consumer._load(app)
    with pytest.raises(InvalidInput):
        consumer._fit(app, book, (*CONSUMER_FEATURES, "Sex"))


def test_a_bad_cell_is_reported_and_nothing_is_written(app, cli, tmp_path):
    path = _slice(tmp_path, 5)
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(",", ",x", 1)  # LIMIT_BAL of the third cardholder
    path.write_text("\n".join(lines) + "\n")
    run = cli(str(app.engine.url))
    code, out, err = run("import", "cardholders", str(path))
    assert code == 2 and "LIMIT_BAL" in out + err and "4" in out + err
    with app.uow(write=False) as uow:
        assert uow.analytics.count_cardholders() == 0
    code, out, err = run("predict", "--kind", "consumer", "--json")
    assert code == 2 and "huikuan model train" in out + err
