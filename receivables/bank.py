"""Bank statements in: OFX/QFX, ISO 20022 camt.053 and CSV, read into :class:`Txn` rows.

Pure: :func:`read_statement` takes the file's bytes and the ``[bank]`` CSV mapping and
returns a :class:`Statement`. The format is told from the content, not the file name:

- **OFX/QFX** (SGML 1.x or XML 2.x), parsed with ``ofxtools``. Each ``STMTTRN`` is one
  transaction, its id the account and ``FITID``; the currency ``CURDEF``; the date the one
  ``DTPOSTED`` names (as the bank wrote it, not moved to UTC). A file that declares a DTD or
  entities (``<!DOCTYPE``, ``<!ENTITY``) is refused, as camt.053 is (ofxtools expands none,
  so ``&f;`` became a payer's name); in the payer and the memo the five XML entities
  (``&amp;`` ...) and numeric character references are decoded, nothing else.
- **camt.053** (bank-to-customer statement, any ``camt.053.001.xx`` version), parsed with
  ``defusedxml`` (no entities, no DTDs, no external references: bank files are untrusted).
  Each booked ``Ntry`` is one transaction (one per ``TxDtls`` when a batch entry details
  each amount); its id the ``AcctSvcrRef`` (else the ``EndToEndId``), the payer
  ``RltdPties/Dbtr``'s name, the text the remittance information (``RmtInf``) and
  ``AddtlNtryInf``. Pending entries are left for a later statement.
- **CSV** with the columns ``policy.toml`` ``[bank]`` names (see :mod:`receivables.syncpolicy`);
  its id is the id column if mapped, else a digest of date, amount and text (so the same
  line in two overlapping statements is the same transaction).

Amounts are signed: money in is positive. Parsing refuses, with one line naming the file
and the transaction, row or element: anything that is not one of the three formats, an
amount with the wrong decimal separator, a date not in the declared format, a currency dun
does not know.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .dates import check_window
from .errors import DunError
from .csvread import decode
from .money import MINOR_UNITS, parse_amount
from .syncpolicy import BankCsv


@dataclass(frozen=True, slots=True)
class Txn:
    where: str  # "statement.ofx FITID 2026031001" for messages
    key: str  # the bank's id for this transaction (or a digest): a transaction is imported once
    bank_id: str
    date: date
    amount: Decimal  # signed: money in is positive
    currency: str
    payer: str = ""
    text: str = ""


@dataclass(slots=True)
class Statement:
    format: str  # "OFX", "camt.053", "CSV"
    source: str
    txns: list[Txn] = field(default_factory=list)
    as_of: date | None = None
    skipped: list[str] = field(default_factory=list)  # pending entries and the like


def read_statement(data: bytes, source: str, mapping: BankCsv | None = None) -> Statement:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # (a byte-order mark: no format below is read from it)
        raise DunError("is UTF-16 text, which dun does not read", source,
                       "export the statement again as OFX, camt.053 or CSV in UTF-8")
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    if head.startswith(b"OFXHEADER") or b"<OFX>" in head or (head.startswith(b"<?XML") and b"<?OFX" in head):
        return read_ofx(data, source)
    if head.startswith(b"<") and b"CAMT.053" in data[:8192].upper():
        return read_camt(data, source)
    if head.startswith(b"<"):
        raise DunError("is XML but not an OFX file nor a camt.053 statement", source,
                       "export the statement as OFX, QFX, camt.053 or CSV")
    if mapping is None or not mapping.declared:
        raise DunError("is neither OFX, camt.053 nor a CSV with the columns policy.toml [bank] declares", source,
                       "export OFX or camt.053, or declare the CSV columns in policy.toml [bank]")
    return read_csv(data, source, mapping)


# -- OFX ---------------------------------------------------------------------------------------------

def read_ofx(data: bytes, source: str) -> Statement:
    """ofxtools parses the file (header, SGML or XML, unclosed tags) into elements; the values
    are converted here, as strictly as the other formats (ofxtools' own conversion of every
    element is a third of a second per thousand transactions)."""
    from ofxtools.Parser import OFXTree

    declared = _DECLARATION.search(data)
    if declared:
        raise DunError(f"is not safe OFX: it declares a DTD or entities ({declared.group().decode('ascii')} …), "
                       "which no bank statement needs", source, "export the statement from the bank again")
    try:
        tree = OFXTree()
        root = tree.parse(io.BytesIO(data))
    except Exception as e:  # an untrusted file read by a third-party parser: any failure is the file's
        raise DunError(f"is not a readable OFX file ({type(e).__name__}: {_short(e)})", source,
                       "export the statement from the bank again") from None
    out = Statement("OFX", source)
    statements = [*root.iter("STMTRS"), *root.iter("CCSTMTRS")]
    if not statements:
        raise DunError("holds no bank statement (STMTRS)", source, "export the account's statement again")
    n = 0
    for st in statements:
        currency = _el(st, "CURDEF")
        _known_currency(currency, f"{source} CURDEF")
        account = _el(st, "BANKACCTFROM/ACCTID") or _el(st, "CCACCTFROM/ACCTID")
        tl = st.find("BANKTRANLIST")
        if tl is None:
            continue
        if _el(tl, "DTEND"):
            end = _ofx_date(_el(tl, "DTEND"), f"{source} DTEND")
            out.as_of = max(out.as_of, end) if out.as_of else end
        for t in tl.iter("STMTTRN"):
            n += 1
            fitid = _el(t, "FITID")
            where = f"{source} transaction {n}" + (f" (FITID {fitid})" if fitid else "")
            if not fitid:
                raise DunError("has no FITID", where, "export the statement again; OFX transactions carry one")
            cur = _el(t, "CURRENCY/CURSYM") or currency
            _known_currency(cur, f"{where} CURSYM")
            raw = _el(t, "TRNAMT")
            # OFX allows either '.' or ',' as the decimal point (OFX 2.1.1, 3.2.9.1)
            amount = _amount(raw, "," if "," in raw and "." not in raw else ".", cur, f"{where} TRNAMT", signed=True)
            text = _unescape(" ".join(x for x in (_el(t, "MEMO"), _el(t, "REFNUM")) if x))
            payer = _unescape(_el(t, "NAME") or _el(t, "PAYEE/NAME"))
            out.txns.append(Txn(where, f"ofx:{account}:{fitid}", fitid, _ofx_date(_el(t, "DTPOSTED"), f"{where} DTPOSTED"),
                                amount, cur, payer, text))
    return out


# markup declarations (a DTD's, an entity's): OFX has none; ofxtools would keep '&name;' as text
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_REFERENCE = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _unescape(text: str) -> str:
    """The five XML entities and numeric character references decoded (one pass: '&amp;amp;'
    is '&amp;'); any other '&...;' stays as the bank wrote it, as does a reference to a
    character XML does not allow (NUL, a surrogate)."""
    return _REFERENCE.sub(_character, text) if "&" in text else text


def _character(m: re.Match) -> str:
    if m[1]:
        return _NAMED[m[1]]
    n = int(m[2]) if m[2] else int(m[3], 16)
    if n in (0x9, 0xA, 0xD) or 0x20 <= n <= 0xD7FF or 0xE000 <= n <= 0xFFFD or 0x10000 <= n <= 0x10FFFF:
        return chr(n)
    return m[0]


def _el(el, path: str) -> str:
    x = el.find(path)
    return (x.text or "").strip() if x is not None else ""


def _ofx_date(text: str, where: str) -> date:
    """The date part of an OFX datetime (YYYYMMDD[HHMMSS[.XXX][[gmt offset:tz]]]), as the bank wrote it."""
    if not re.fullmatch(r"[0-9]{8}(?:[0-9]{4,6}(?:\.[0-9]{1,3})?)?(?:\[[^\]]*\])?", text):
        raise DunError(f"{text!r} is not an OFX date (YYYYMMDD...)", where)
    try:
        return check_window(date(int(text[:4]), int(text[4:6]), int(text[6:8])), where)
    except ValueError:
        raise DunError(f"{text!r} is not a real date", where) from None


# -- camt.053 ---------------------------------------------------------------------------------------

def read_camt(data: bytes, source: str) -> Statement:
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        root = DET.fromstring(data)
    except (ParseError, DefusedXmlException, ValueError) as e:
        raise DunError(f"is not safe, well-formed XML ({type(e).__name__}: {_short(e)})", source,
                       "export the statement from the bank again") from None
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if not ns.startswith("urn:iso:std:iso:20022:tech:xsd:camt.053"):
        raise DunError(f"is XML of another kind ({ns or root.tag}), not a camt.053 statement", source,
                       "export the statement as camt.053, OFX or CSV")
    q = "{%s}" % ns

    def find(el, path: str):
        return el.find("/".join(q + p for p in path.split("/")))

    def text(el, path: str) -> str:
        x = find(el, path)
        return (x.text or "").strip() if x is not None else ""

    def all_of(el, path: str):
        return el.findall("/".join(q + p for p in path.split("/")))

    out = Statement("camt.053", source)
    seen: dict[str, int] = {}  # entries with no id of the bank's, by their digest: how many so far
    stmts = all_of(root, "BkToCstmrStmt/Stmt")
    if not stmts:
        raise DunError("holds no statement (BkToCstmrStmt/Stmt)", source, "export the statement again")
    for s_i, st in enumerate(stmts, start=1):
        stmt_id = text(st, "Id") or str(s_i)
        acct_ccy = text(st, "Acct/Ccy")
        account = text(st, "Acct/Id/IBAN") or text(st, "Acct/Id/Othr/Id")
        to = text(st, "FrToDt/ToDtTm")[:10] or text(st, "CreDtTm")[:10]
        if to:
            d = _iso(to, f"{source} Stmt {stmt_id} FrToDt")
            out.as_of = max(out.as_of, d) if out.as_of else d
        for e_i, ntry in enumerate(all_of(st, "Ntry"), start=1):
            ref = text(ntry, "AcctSvcrRef")
            where = f"{source} Stmt {stmt_id} Ntry {e_i}" + (f" (AcctSvcrRef {ref})" if ref else "")
            status = text(ntry, "Sts/Cd") or text(ntry, "Sts")
            if status and status != "BOOK":
                out.skipped.append(f"{where}: not booked yet (Sts {status}): left for a later statement")
                continue
            amt_el = find(ntry, "Amt")
            if amt_el is None:
                raise DunError("has no Amt", where, "a camt.053 entry needs its amount")
            ccy = amt_el.get("Ccy", "") or acct_ccy
            _known_currency(ccy, f"{where} Amt/@Ccy")
            if acct_ccy and ccy != acct_ccy:
                raise DunError(f"is in {ccy} but the account (Acct/Ccy) is in {acct_ccy}", where,
                               "import the statement of the account the entry belongs to")
            sign = {"CRDT": 1, "DBIT": -1}.get(text(ntry, "CdtDbtInd"))
            if sign is None:
                raise DunError(f"CdtDbtInd {text(ntry, 'CdtDbtInd')!r} is neither CRDT nor DBIT", where)
            amount = _amount((amt_el.text or "").strip(), ".", ccy, f"{where} Amt")
            day = text(ntry, "BookgDt/Dt") or text(ntry, "BookgDt/DtTm")[:10] or text(ntry, "ValDt/Dt")
            booked = _iso(day, f"{where} BookgDt")
            info = text(ntry, "AddtlNtryInf")
            details = all_of(ntry, "NtryDtls/TxDtls")
            parts = []
            for t_i, tx in enumerate(details or [None], start=1):
                payer = remit = e2e = tx_ref = ""
                tx_amt = None
                if tx is not None:
                    payer = (text(tx, "RltdPties/Dbtr/Nm") or text(tx, "RltdPties/Dbtr/Pty/Nm")
                             or text(tx, "RltdPties/UltmtDbtr/Nm"))
                    remit = " ".join(x for x in [*(u.text or "" for u in all_of(tx, "RmtInf/Ustrd")),
                                                 *(r.text or "" for r in all_of(tx, "RmtInf/Strd/CdtrRefInf/Ref"))] if x)
                    e2e = text(tx, "Refs/EndToEndId")
                    e2e = "" if e2e == "NOTPROVIDED" else e2e
                    tx_ref = text(tx, "Refs/AcctSvcrRef")
                    a = text(tx, "Amt") or text(tx, "AmtDtls/TxAmt/Amt")
                    if a and len(details) > 1:
                        tx_amt = _amount(a, ".", ccy, f"{where} TxDtls {t_i} Amt")
                parts.append((payer, remit, e2e, tx_ref, tx_amt))
            split = len(parts) > 1 and all(p[4] is not None for p in parts)
            if split and sum(p[4] for p in parts) != amount:
                raise DunError(f"its TxDtls add up to {sum(p[4] for p in parts)}, not the entry's {amount}", where)
            for t_i, (payer, remit, e2e, tx_ref, tx_amt) in enumerate(parts if split else parts[:1], start=1):
                own = tx_ref or (ref if not split else (f"{ref}/{t_i}" if ref else "")) or e2e
                if own:
                    key = f"camt:{account}:{own}"
                else:  # no id from the bank: the same credit twice in one statement is two receipts
                    base = _digest(account, booked, amount, payer, remit, info)
                    k = seen.get(base, 0) + 1
                    seen[base] = k
                    key = "camt:" + base + (f":{k}" if k > 1 else "")
                text_all = " ".join(x for x in (remit, info if not split else "", e2e) if x)
                out.txns.append(Txn(where + (f" TxDtls {t_i}" if split else ""), key, own, booked,
                                    sign * (tx_amt if split else amount), ccy, payer, text_all))
    return out


# -- CSV --------------------------------------------------------------------------------------------

def read_csv(data: bytes, source: str, m: BankCsv) -> Statement:
    text = decode(data, source)
    if "\x00" in text:
        raise DunError("holds NUL bytes: it is not a text CSV file", source, "export it again as CSV")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=m.delimiter, strict=True)
    try:
        records = [r for r in reader]
    except csv.Error as e:
        raise DunError(f"is not valid CSV after row {reader.line_num}: {e}", source, "check the quotes on that row") from None
    if not records:
        raise DunError("is empty", source, "export the statement again")
    header = [h.strip().lstrip("\ufeff") for h in records[0]]
    index = {h.casefold(): i for i, h in enumerate(header)}
    wanted = {k: getattr(m, k) for k in ("date", "amount", "description", "reference", "payer", "id") if getattr(m, k)}
    missing = [v for v in wanted.values() if v.casefold() not in index]
    if missing:
        raise DunError(f"is neither OFX, camt.053 nor a CSV with the [bank] columns: no column "
                       f"{', '.join(repr(x) for x in missing)}", f"{source} row 1",
                       f"its columns are {', '.join(header[:8])}; fix policy.toml [bank] or export OFX/camt.053")
    col = {k: index[v.casefold()] for k, v in wanted.items()}
    out = Statement("CSV", source)
    seen: dict[str, int] = {}
    for n, rec in enumerate(records[1:], start=2):
        if not rec or all(not c.strip() for c in rec):
            continue
        where = f"{source} row {n}"
        if len(rec) != len(header):
            raise DunError(f"has {len(rec)} fields but the header has {len(header)}", where,
                           f"check the delimiter ({m.delimiter!r} in policy.toml [bank]) and the quotes")
        cell = {k: rec[i].strip() for k, i in col.items()}
        day = _strpdate(cell["date"], m.date_format, f"{where} ({wanted['date']})")
        amount = _amount(cell["amount"], m.decimal, m.currency, f"{where} ({wanted['amount']})", signed=True)
        payer, ref, desc = cell.get("payer", ""), cell.get("reference", ""), cell.get("description", "")
        txt = " ".join(x for x in (ref, desc) if x)
        own = cell.get("id", "")
        if own:
            key = f"csv:{own}"
        else:
            base = _digest(day, amount, payer, txt)
            k = seen.get(base, 0) + 1  # the same line twice in one statement: two transactions
            seen[base] = k
            key = f"csv:{base}" + (f":{k}" if k > 1 else "")
        out.txns.append(Txn(where, key, own, day, amount, m.currency, payer, txt))
        out.as_of = max(out.as_of, day) if out.as_of else day
    return out


# -- small parsers --------------------------------------------------------------------------------

_NUM = {".": re.compile(r"[+-]?[0-9]{1,15}(?:\.[0-9]+)?"), ",": re.compile(r"[+-]?[0-9]{1,15}(?:,[0-9]+)?")}


def _amount(text: str, decimal: str, currency: str, where: str, signed: bool = False) -> Decimal:
    t = text.replace("\u00a0", "").replace(" ", "")
    if not _NUM[decimal].fullmatch(t):
        other = "," if decimal == "." else "."
        if _NUM[other].fullmatch(t):
            raise DunError(f"{text!r} uses {other!r} as the decimal separator but the mapping says {decimal!r}",
                           where, f"set decimal = \"{other}\" in policy.toml [bank], or export with {decimal!r}")
        raise DunError(f"{text!r} is not an amount", where, "plain digits with an optional sign and decimals")
    negative = t.startswith("-")
    t = t.lstrip("+-").replace(",", ".")
    if negative and not signed:
        raise DunError(f"{text!r} is negative", where, "camt.053 amounts are unsigned; CdtDbtInd gives the sign")
    value = parse_amount(t, currency, where, allow_zero=True)
    return -value if negative else value


def _exact(amount: Decimal, currency: str, where: str) -> Decimal:
    places = MINOR_UNITS[currency]
    q = Decimal(1).scaleb(-places)
    if amount != amount.quantize(q):
        raise DunError(f"{amount} has more decimals than {currency} allows ({places})", where)
    return amount.quantize(q)


def _known_currency(code: str, where: str) -> None:
    if code not in MINOR_UNITS:
        raise DunError(f"unknown currency {code!r}", where, "an ISO 4217 code such as GBP or EUR")


def _iso(text: str, where: str) -> date:
    try:
        return check_window(date.fromisoformat(text[:10]), where)
    except ValueError:
        raise DunError(f"{text!r} is not a date (YYYY-MM-DD)", where) from None


def _strpdate(text: str, fmt: str, where: str) -> date:
    try:
        return check_window(datetime.strptime(text, fmt).date(), where)
    except ValueError:
        raise DunError(f"{text!r} is not a date in the form {fmt!r}", where,
                       "fix date_format in policy.toml [bank] (e.g. \"%d/%m/%Y\")") from None


def _digest(*parts) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:24]


def _short(e: Exception) -> str:
    s = str(e).replace("\n", " ")
    return s[:120] + ("..." if len(s) > 120 else "")


__all__ = ["Txn", "Statement", "read_statement", "read_ofx", "read_camt", "read_csv"]
