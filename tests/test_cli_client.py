"""`dun client show` reads each client's day through the derived layer (issue 17): what it
says agrees with `dun client list` and the report for every client, and the day it worked
out is kept for the next command (the app, the agenda) as theirs is."""
from __future__ import annotations

import json
from datetime import date

import pytest

from cli.main import main

ON = date(2026, 11, 22)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("client-show") / "book"
    assert main(["demo", str(path), "--clients", "30", "--invoices", "500", "--seed", "5",
                 "--on", ON.isoformat()]) == 0
    return path


def run_json(capsys, *argv):
    capsys.readouterr()
    code = main([*map(str, argv)])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_client_show_agrees_with_the_list_the_agenda_and_the_report(book, capsys):
    base = ("--book", book, "--on", ON.isoformat(), "--json")
    listed: dict = {}
    for r in run_json(capsys, "client", "list", *base):  # (its own currency's row first)
        listed.setdefault(r["id"], r)
    report = run_json(capsys, "report", *base)
    agenda = run_json(capsys, "agenda", *base)
    chased = {a["client"]: a["client_name"] for a in agenda}
    rows = {(c["id"], c["currency"]): c for c in report["clients"]}
    assert len(listed) == 30
    compared = 0
    for cid, row in listed.items():
        view = run_json(capsys, "client", "show", cid, *base)
        cur = view["currency"]
        assert chased.get(cid, view["name"]) == view["name"] == row["name"]
        assert (view["balance"], view["overdue"], view["oldest_days_overdue"], view["hold"]) == \
               (row["balance"], row["overdue"], row["oldest_days_overdue"], row["hold"])
        figures = rows.get((cid, cur))
        if figures is None:  # (the report lists the clients with figures in a currency)
            continue
        compared += 1
        assert (figures["balance"], figures["overdue"], figures["hold"]) == \
               (view["balance"], view["overdue"], view["hold"])
        assert figures["handed_over"] == len(view["handed_over"])
        open_ = [i for i in view["invoices"] if i["outstanding"] != "0.00"]
        assert sum(1 for i in open_ if i["currency"] == cur) == figures["open_invoices"]
    assert compared >= 20


def test_client_show_keeps_the_day_it_worked_out(book, capsys, tmp_path, monkeypatch):
    import derived
    from store import open_book

    monkeypatch.setenv("DUN_CACHE_DIR", str(tmp_path / "cache"))
    with open_book(book, readonly=True) as repo:
        cid = sorted(repo.clients())[0]
        assert derived.kept(repo, repo.policy(), ON) is None  # nothing worked out yet
    run_json(capsys, "client", "show", cid, "--book", book, "--on", ON.isoformat(), "--json")
    with open_book(book, readonly=True) as repo:
        state = derived.kept(repo, repo.policy(), ON)  # every client's day, kept for the next command
        assert state is not None and set(state.days) == set(repo.clients())
        assert state.days[cid].status.hold == run_json(
            capsys, "client", "show", cid, "--book", book, "--on", ON.isoformat(), "--json")["hold"]


def test_a_credit_in_a_second_currency_shows_in_client_show_and_client_list(tmp_path, capsys):
    """A payment in euros from a client billed in pounds was nowhere but on the payment line:
    `balances` had only GBP and `client list` one row (the app showed both)."""
    path = tmp_path / "book"
    assert main(["demo", str(path), "--clients", "6", "--invoices", "40", "--seed", "5", "--on", ON.isoformat()]) == 0
    base = ("--book", path, "--on", ON.isoformat(), "--json")
    cid = next(r["id"] for r in run_json(capsys, "client", "list", *base) if r["currency"] == "GBP")
    before = run_json(capsys, "client", "show", cid, *base)
    assert "EUR" not in before["balances"]
    assert main(["pay", cid, "1684.80", "--currency", "EUR", "--book", str(path), "--on", ON.isoformat()]) == 0
    view = run_json(capsys, "client", "show", cid, *base)
    assert view["balances"]["EUR"] == "-1684.80" and view["balance"] == before["balance"]
    rows = [r for r in run_json(capsys, "client", "list", *base) if r["id"] == cid]
    assert [(r["currency"], r["balance"]) for r in rows] == [("GBP", before["balance"]), ("EUR", "-1684.80")]
    capsys.readouterr()
    assert main(["client", "show", cid, "--book", str(path), "--on", ON.isoformat()]) == 0
    assert "also -1684.80 EUR (client credit)" in capsys.readouterr().out


def test_a_kept_promise_stays_in_client_show_with_its_state(tmp_path, capsys):
    """`promises` listed only the open and broken ones (and voided ones): a promise the client
    kept vanished from `client show --json` once paid."""
    path = tmp_path / "book"
    assert main(["demo", str(path), "--clients", "6", "--invoices", "40", "--seed", "5", "--on", ON.isoformat()]) == 0
    base = ("--book", path, "--on", ON.isoformat(), "--json")
    view = next(v for r in run_json(capsys, "client", "list", *base)
                if (v := run_json(capsys, "client", "show", r["id"], *base))["overdue"] != "0.00" and not v["promises"])
    cid, inv = view["id"], next(i for i in view["invoices"] if i["outstanding"] != "0.00")
    made = run_json(capsys, "promise", cid, inv["outstanding"], "--invoice", inv["number"], "--by", "2026-11-30", *base)
    shown = run_json(capsys, "client", "show", cid, *base)["promises"]
    assert [(p["id"], p["state"]) for p in shown] == [(made["id"], "open")]
    assert main(["pay", cid, inv["outstanding"], "--currency", inv["currency"], "--invoice", inv["number"],
                 "--book", str(path), "--on", ON.isoformat()]) == 0
    shown = run_json(capsys, "client", "show", cid, *base)["promises"]
    assert [(p["id"], p["state"], p["amount"]) for p in shown] == [(made["id"], "kept", inv["outstanding"])]
