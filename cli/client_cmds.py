"""``dun client show`` and ``dun client list``: read through the derived layer
(:func:`derived.current`), each client's day as the agenda and the report see it."""
from __future__ import annotations

import argparse
from datetime import date
from decimal import Decimal

from cli.collect_cmds import _one_line
from cli.common import dump as _dump, open_repo as _open, today as _today
from cli.main import add_json, add_on
from receivables.errors import DunError
from receivables.model import Adjustment, Payment, PromiseToPay


def register(sub, common) -> None:
    F = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser("client", parents=[common], formatter_class=F, help="show or list clients",
                       description="Show one client's position, or list every client.")
    csub = p.add_subparsers(dest="client_command", metavar="COMMAND", parser_class=sub._parser_class)
    p.set_defaults(handler=_client_usage)
    s = csub.add_parser("show", parents=[common], formatter_class=F, help="one client's position",
                        description="One client's balance, hold, invoices (outstanding, days overdue, status) and\n"
                                    "late-payment interest and compensation as of --on.")
    s.add_argument("id", metavar="ID", help="the client id")
    add_on(s)
    add_json(s)
    s.set_defaults(handler=cmd_client_show)
    s = csub.add_parser("list", parents=[common], formatter_class=F, help="every client with balance and overdue",
                        description="Every client: balance, overdue, oldest days overdue, hold.")
    add_on(s)
    add_json(s)
    s.set_defaults(handler=cmd_client_list)


def _client_usage(args) -> int:
    raise DunError("which one: show ID or list?", "dun client", "see 'dun client --help'")


def _promises(records, policy, on: date) -> list:
    """Every promise the client made by ``on`` (kept, followed up and superseded ones too, as
    a voided one is listed), each with its state on that day; the day itself holds only the
    ones still open or broken."""
    from receivables.engine.client import client_day_state

    made = [p for p in records.promises if p.made <= on]
    if not made:
        return []
    dy = client_day_state(records, policy, on)
    return [dy.promise_status(p) for p in made]


def client_view(repo, policy, client_id: str, on: date) -> dict:
    """The data of ``dun client show --json`` (money as strings), as of ``on``.

    The client's day comes through the derived layer (:func:`derived.current`): its positions
    by currency, hold, hand-overs, promises, plan and open disputes, as the agenda and the
    report see them. The client's own records (``repo.client_book``) give what the day does
    not hold: the client's details, every invoice issued by ``on`` (settled ones too) and the
    late-payment interest and compensation on each."""
    import derived
    from receivables.interest import client_interest
    from receivables.ledger import derive
    from receivables.money import to_text

    day = derived.current(repo, policy, on).days[client_id]
    records = repo.client_book(client_id)
    client = records.clients[client_id]
    cur = client.currency
    rows = {r.currency: r for r in day.part.rows}  # one per currency, its own always
    main = rows[cur]
    ledger = derive(records, on)
    interest = client_interest(ledger, policy, client_id)
    zero = Decimal(0)
    invoices = []
    tot_i: dict[str, Decimal] = {}
    tot_c: dict[str, Decimal] = {}
    for st in ledger.client_invoices(client_id):
        inv = st.invoice
        r = interest.get(inv.number)
        ic = inv.currency
        invoices.append({
            "number": inv.number, "issued": inv.issued.isoformat(), "due": inv.due.isoformat(),
            "currency": ic, "amount": to_text(inv.amount, ic), "outstanding": to_text(st.outstanding, ic),
            "days_overdue": st.days_overdue, "status": st.status, "reference": inv.reference,
            "interest": to_text(r.interest if r else zero, ic),
            "compensation": to_text(r.compensation if r else zero, ic),
            # why its interest or compensation is not computed (its figure is then not a 0 owed)
            "not_computed": r.problem if r is not None and r.problem else None,
        })
        if r:
            tot_i[ic] = tot_i.get(ic, zero) + r.interest
            tot_c[ic] = tot_c.get(ic, zero) + r.compensation
    st = day.status
    return {
        "id": client.id, "name": client.name, "currency": cur, "as_of": on.isoformat(),
        "balance": to_text(main.balance, cur), "overdue": to_text(main.overdue, cur),
        "credit": to_text(main.open_amount - main.balance, cur), "oldest_days_overdue": main.oldest_days_overdue,
        "balances": {c: to_text(r.balance, c) for c, r in sorted(rows.items())},
        "hold": st.hold, "hold_reason": st.hold_reason,
        "terms_days": client.terms_days,
        "credit_limit": to_text(client.credit_limit, cur) if client.credit_limit is not None else None,
        "email": client.email, "phone": client.phone,
        "interest": to_text(tot_i.get(cur, zero), cur), "compensation": to_text(tot_c.get(cur, zero), cur),
        "invoices": invoices,
        "handed_over": dict(sorted(st.handed_over.items())),
        "over_credit_limit": st.over_credit_limit,
        "open_disputes": [d.invoice for d in st.disputes],
        "promises": [{"id": ps.promise.id, "amount": to_text(ps.promise.amount, ps.promise.currency),
                      "currency": ps.promise.currency, "by": ps.promise.by.isoformat(), "state": ps.state}
                     for ps in _promises(records, policy, on)]
                    + [{"id": p.id, "amount": to_text(p.amount, p.currency), "currency": p.currency,
                        "by": p.by.isoformat(), "state": "voided", "voided": p.voided.isoformat(),
                        "void_reason": p.void_reason}
                       for p in records.voided if isinstance(p, PromiseToPay) and p.made <= on],
        "plan": None if st.plan is None else {"id": st.plan.plan.id, "state": st.plan.state,
                                              "paid": to_text(st.plan.paid, st.plan.plan.currency)},
        "payments": [_payment_json(p) for p in _newest_first(records, Payment, on)],
        "credits": [_credit_json(a) for a in _newest_first(records, Adjustment, on)],
    }


def _newest_first(records, kind: type, on: date) -> list:
    """The client's records of ``kind`` (payments or adjustments) dated up to ``on``, voided
    ones too, newest first."""
    mine = (*(records.payments if kind is Payment else records.adjustments),
            *(x for x in records.voided if isinstance(x, kind)))
    return sorted((x for x in mine if x.date <= on), key=lambda x: (x.date, x.id), reverse=True)


def _voided_json(r) -> dict:
    return {"voided": r.voided.isoformat() if r.voided is not None else None, "void_reason": r.void_reason}


def _payment_json(p) -> dict:
    from receivables.money import to_text

    c = p.currency
    return {"id": p.id, "date": p.date.isoformat(), "amount": to_text(p.amount, c), "currency": c,
            "reference": p.reference, "method": p.method,
            "allocations": [{"invoice": a.invoice, "amount": to_text(a.amount, c)} for a in p.allocations],
            **_voided_json(p)}


def _credit_json(a) -> dict:
    from receivables.money import to_text

    return {"id": a.id, "kind": a.kind, "date": a.date.isoformat(), "amount": to_text(a.amount, a.currency),
            "currency": a.currency, "invoice": a.invoice, "reason": a.reason, **_voided_json(a)}


def cmd_client_show(args) -> int:
    on = _today(args)
    with _open(args, readonly=True, command="dun client show") as repo:
        if args.id not in repo.clients():
            from cli.hints import unknown_client

            raise unknown_client(repo, args.id, "ID")
        view = client_view(repo, repo.policy(), args.id, on)
    if args.json:
        _dump(view)
        return 0
    cur = view["currency"]
    print(f"{view['name']}  ({view['id']})")
    hold = f"  ON HOLD: {view['hold_reason']}" if view["hold"] else ""
    print(f"balance {view['balance']} {cur}, overdue {view['overdue']} {cur}, credit {view['credit']} {cur}{hold}")
    for c, b in view["balances"].items():
        if c != cur:
            print(f"also {b} {c}" + (" (client credit)" if b.startswith("-") else ""))
    if view["interest"] != "0.00" or view["compensation"] != "0.00":
        print(f"late-payment interest {view['interest']} {cur}, compensation {view['compensation']} {cur}")
    if Decimal(view["credit"]) > 0 and Decimal(view["overdue"]) > 0:
        # (held money is not payment of an invoice until it is put there: interest runs on)
        print(f"client credit {view['credit']} {cur} is on no invoice: interest runs on the overdue ones "
              f"until it is applied (dun credit {view['id']})")
    for i in view["invoices"]:  # (its 0.00 is not what is owed: said, not added in silently)
        if i["not_computed"]:
            print(f"{i['number']}: {_one_line(i['not_computed'], 160)}")
    for number, to in view.get("handed_over", {}).items():
        print(f"{number} handed over to {'the agency' if to == 'agency' else 'legal'}")
    for pr in view.get("promises", ()):
        state = f"VOIDED {pr['voided']}: {_one_line(pr['void_reason'], 60)}" if pr["state"] == "voided" else pr["state"]
        print(f"promise {pr['id']}: {pr['amount']} {pr['currency']} by {pr['by']} ({state})")
    if view.get("plan"):
        print(f"payment plan {view['plan']['id']}: {view['plan']['state']}, {view['plan']['paid']} {cur} paid so far")
    if view.get("over_credit_limit"):
        print(f"over the credit limit of {view['credit_limit']} {cur}")
    open_ = [i for i in view["invoices"] if i["outstanding"].strip("0.") != ""]
    if open_:
        print(f"{'invoice':<14}{'due':<12}{'amount':>12}{'outstanding':>13}{'days':>6}  status")
        for i in open_:
            print(f"{i['number']:<14}{i['due']:<12}{i['amount']:>12}{i['outstanding']:>13}{i['days_overdue']:>6}  {i['status']}")
    else:
        print("no open invoices")
    for name, key in (("payment", "payments"), ("credit", "credits")):
        items = view[key]
        for x in items[:_PAYMENTS_SHOWN]:
            if x["voided"]:
                what = f"VOIDED {x['voided']}: {x['void_reason']}"
            elif key == "payments":
                what = "-> " + (", ".join(a["invoice"] for a in x["allocations"]) or "client credit")
            else:
                what = f"{x['kind'].replace('_', ' ')} -> {x['invoice'] or 'client credit'}"
            print(f"{name} {x['id']} {x['date']} {x['amount']:>12} {x['currency']}  {_one_line(what, 60)}")
        if len(items) > _PAYMENTS_SHOWN:
            print(f"  ({len(items) - _PAYMENTS_SHOWN} earlier {key}: dun client show {view['id']} --json)")
    return 0


_PAYMENTS_SHOWN = 5  # the newest payments (and credits) 'dun client show' prints


def cmd_client_list(args) -> int:
    import derived
    from receivables.money import to_text

    on = _today(args)
    with _open(args, readonly=True, command="dun client list") as repo:
        clients = repo.clients()
        state = derived.current(repo, repo.policy(), on)
    rows = []
    for c in sorted(clients.values(), key=lambda c: c.name.casefold()):
        day = state.days[c.id]
        # its own currency first (always there), then each other it owes or holds credit in, as the app shows
        for pos in sorted(day.part.rows, key=lambda r: r.currency != c.currency):
            if pos.currency == c.currency or pos.balance or pos.overdue:
                cur = pos.currency
                rows.append({"id": c.id, "name": c.name, "currency": cur,
                             "balance": to_text(pos.balance, cur), "overdue": to_text(pos.overdue, cur),
                             "oldest_days_overdue": pos.oldest_days_overdue,
                             "hold": day.status.hold})  # the flag or a done credit-hold step
    if args.json:
        _dump(rows)
        return 0
    if not rows:
        print("no clients yet: 'dun import clients FILE' or 'dun demo'")
        return 0
    width = min(40, max(len(r["id"]) for r in rows))
    print(f"{'client':<{width}}  {'balance':>14}  {'overdue':>14}  {'days':>5}  hold  name")
    for r in rows:
        name = " ".join(r["name"].split())  # a name with line breaks stays on one line here
        print(f"{r['id']:<{width}}  {r['balance']:>10} {r['currency']}  {r['overdue']:>10} {r['currency']}  "
              f"{r['oldest_days_overdue']:>5}  {'yes ' if r['hold'] else '    '}  {name}")
    return 0
