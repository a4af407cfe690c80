"""Money: a Decimal amount with an ISO 4217 currency code.

Rules (the README repeats them):
- amounts are ``Decimal`` and are stored as strings; no float ever holds an amount;
- text is parsed strictly (:func:`parse_amount`): ASCII digits, an optional ``.`` and at
  most as many decimals as the currency has; no signs unless asked for, no exponents,
  grouping, currency symbols, ``NaN`` or ``Infinity`` (an amount typed into the app's forms may
  also be written as the owner's locale writes money: :func:`parse_typed_amount`);
- rounding is half-up to the currency's minor unit (:func:`round_money`) and happens at
  the documented points: interest once at the end of its calculation, installment splits,
  and before anything is stored or formatted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import DunError

# ISO 4217 active codes by number of minor-unit digits (list one, 2024 edition).
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN "
    "BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB "
    "EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS "
    "KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN "
    "MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD "
    "SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS "
    "UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)
MINOR_UNITS: dict[str, int] = {
    **{c: 0 for c in _ZERO.split()},
    **{c: 2 for c in _TWO.split()},
    **{c: 3 for c in _THREE.split()},
    **{c: 4 for c in _FOUR.split()},
}

_AMOUNT_RE = re.compile(r"(-)?([0-9]+)(?:\.([0-9]+))?", re.ASCII)
ZERO = Decimal(0)


def check_currency(code: str, where: str = "currency") -> str:
    """Return the code if it is a known ISO 4217 code, else raise a user error."""
    if not isinstance(code, str) or code not in MINOR_UNITS:
        raise DunError(
            f"unknown currency {code!r}",
            where,
            "use an ISO 4217 code such as GBP, EUR or USD",
        )
    return code


def minor_units(currency: str) -> int:
    return MINOR_UNITS[check_currency(currency)]


_QUANTA: dict[str, Decimal] = {c: Decimal(1).scaleb(-n) for c, n in MINOR_UNITS.items()}
# where the store's decimal point stands in an amount of each currency with decimals ("12.50": -3)
_DOTS: dict[str, int] = {c: -(n + 1) for c, n in MINOR_UNITS.items() if n}


def quantum(currency: str) -> Decimal:
    """The currency's minor unit as a Decimal exponent (0.01 for GBP, 1 for JPY)."""
    q = _QUANTA.get(currency)
    return q if q is not None else _QUANTA[check_currency(currency)]


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def parse_amount(
    text: str,
    currency: str,
    where: str = "amount",
    *,
    allow_negative: bool = False,
    allow_zero: bool = False,
) -> Decimal:
    """Parse an amount strictly; the result is quantized to the currency's minor unit.

    Accepts ``123``, ``123.4``, ``123.45`` (for a 2-decimal currency); refuses ``12,50``,
    ``£10``, ``1e3``, ``1_000``, ``NaN``, ``Infinity``, non-ASCII digits, blanks and more
    decimals than the currency has.
    """
    places = minor_units(currency)
    raw = text if isinstance(text, str) else str(text)
    whole, frac = _amount_form(raw, where, allow_negative)
    if frac is not None and len(frac) > places:
        raise DunError(
            f"{raw!r} has more decimals than {currency} allows ({places})",
            where,
            f"round it to {places} decimal place{'s' if places != 1 else ''}",
        )
    value = _amount_value(raw, whole, where, allow_zero)
    return value.quantize(quantum(currency))


def parse_typed_amount(text: str, currency: str, locale: str, where: str = "amount", *,
                       allow_negative: bool = False, allow_zero: bool = False) -> Decimal:
    """An amount the owner typed into a form: plain, as :func:`parse_amount` reads it, or as the
    owner's ``locale`` writes money, with its grouping and decimal sign and this currency's
    symbol or code before or after it: "1,250.00" and "£1,250.00" in en_GB, "1.250,00 €" and
    "12,50" in de_DE, "1 250,00" in fr_FR. Text the two readings take for different amounts
    ("1.250" for a three-decimal currency in de_DE: 1.250 plainly, 1250.000 there) is refused,
    never guessed. Files (the CSV imports) and the command line stay plain."""
    try:
        plain: Decimal | None = parse_amount(text, currency, where, allow_negative=allow_negative,
                                             allow_zero=allow_zero)
        refused = None
    except DunError as e:
        plain, refused = None, e
    local = _as_locale_writes(text, currency, locale)
    value = None
    if local is not None:
        try:
            value = parse_amount(local, currency, where, allow_negative=allow_negative, allow_zero=allow_zero)
        except DunError as e:
            if plain is None:  # (said of what was typed, not of the plain form made of it)
                raise DunError(e.problem.message.replace(repr(local), repr(text)), where, e.problem.hint) from None
    if plain is not None and value is not None and plain != value:
        raise DunError(f"{text!r} could be {plain} or {value}", where,
                       f"write {value} or {plain}, without grouping")
    if plain is not None:
        return plain
    if value is not None:
        return value
    assert refused is not None
    raise _typed_refusal(text, currency, locale, where, refused)


_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "zł": "PLN", "Fr": "CHF"}


def _typed_refusal(text: str, currency: str, locale: str, where: str, refused: DunError) -> DunError:
    """What to say of a typed amount neither reading takes: another currency's sign or code
    named as such, else the refusal with the two ways an amount may be typed."""
    t = text if isinstance(text, str) else ""
    try:
        from babel.numbers import get_currency_symbol

        own = get_currency_symbol(currency, locale)
    except Exception:  # (an unknown locale or currency)
        own = currency
    other = next((code for sign, code in _SIGNS.items() if sign in t and code != currency and sign not in own),
                 None) or \
        next((w for w in re.findall(r"[A-Za-z]{3}", t) if w.upper() in MINOR_UNITS and w.upper() != currency), None)
    if other is not None:
        return DunError(f"{text!r} is not in {currency}", where,
                        f"type the amount alone, or change the currency if the money is in {other.upper()}")
    try:
        from babel.numbers import format_currency

        shown = format_currency(Decimal("1234.50"), currency, locale=locale)
    except Exception:  # (an unknown locale or currency: the plain form alone)
        return refused
    return DunError(refused.problem.message, where, f"type 1234.50, or as you write money: {shown}")


_SPACES = " \u00a0\u202f"


def _as_locale_writes(text: str, currency: str, locale: str) -> str | None:
    """``text`` read as ``locale`` writes an amount in ``currency``, in plain form ("1250.00"),
    or None when it is not written so (ASCII digits only: a typed amount is never read in
    another script's digits)."""
    from babel.core import UnknownLocaleError
    from babel.numbers import (NumberFormatError, get_currency_symbol, get_decimal_symbol, get_group_symbol,
                               parse_decimal)

    try:
        symbol = get_currency_symbol(currency, locale)
        group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    except (UnknownLocaleError, ValueError, LookupError, TypeError):  # an unknown locale or currency
        return None
    t = text.strip() if isinstance(text, str) else ""
    sign = ""
    for _ in range(2):  # "-£10.00" and "£-10.00"
        if t.startswith("-"):
            sign, t = "-", t[1:].strip()
        for mark in sorted({symbol, currency}, key=len, reverse=True):
            if t.startswith(mark):
                t = t[len(mark):].strip()
                break
            if t.endswith(mark):
                t = t[:-len(mark)].strip()
                break
    if group in _SPACES:
        t = "".join(group if ch in _SPACES else ch for ch in t)
    elif group == "'":
        t = t.replace("\u2019", "'")
    if not t or not all(ch in "0123456789" or ch == group or ch == decimal for ch in t):
        return None
    try:
        return sign + format(parse_decimal(t, locale, strict=True), "f")
    except (NumberFormatError, ValueError, ArithmeticError):
        return None


def check_amount_text(text: str, where: str = "amount", *, allow_negative: bool = False,
                      allow_zero: bool = False) -> None:
    """What :func:`parse_amount` checks before the currency is known: the form, the sign, the
    size and zero (the number of decimals is checked once the currency is known)."""
    raw = text if isinstance(text, str) else str(text)
    whole, _ = _amount_form(raw, where, allow_negative)
    _amount_value(raw, whole, where, allow_zero)


def _amount_form(raw: str, where: str, allow_negative: bool) -> tuple[str, str | None]:
    m = _AMOUNT_RE.fullmatch(raw.strip())
    if not m:
        raise DunError(
            f"{raw!r} is not an amount",
            where,
            "write plain digits with an optional '.' and decimals, e.g. 1234.50",
        )
    sign, whole, frac = m.groups()
    if sign and not allow_negative:
        raise DunError(f"{raw!r} is negative", where, "amounts must be positive")
    return whole, frac


def _amount_value(raw: str, whole: str, where: str, allow_zero: bool) -> Decimal:
    if len(whole) > 15:
        raise DunError(f"{raw!r} is too large", where, "amounts are limited to 15 digits")
    value = Decimal(raw.strip())
    if value == 0 and not allow_zero:
        raise DunError(f"{raw!r} is zero", where, "enter an amount greater than zero")
    return value


def amount_from_store(text: str, currency: str) -> Decimal:
    """Read an amount the store wrote (already validated); still refuses non-finite values,
    more digits than a Decimal holds, and anything but a string (a JSON number in a
    hand-edited book would be a float). More decimals than the currency has (a hand-edited
    book) are rounded half-up, as everywhere. (Decoded each time: a cache of decoded texts
    saved no time, benchmarks/README.md.)"""
    try:
        if type(text) is not str:
            raise TypeError
        dot = _DOTS.get(currency)
        if dot is not None and text[dot:dot + 1] == "." and text[dot + 1:].isdigit():
            return Decimal(text)  # (as the store writes it: exactly the currency's decimals, nothing to round)
        value = Decimal(text)
        if value.is_finite():
            return value.quantize(_QUANTA[currency], rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError, KeyError):
        pass
    raise DunError(f"bad stored amount {text!r} ({currency!r})", "book", "run 'dun check'")


def to_text(amount: Decimal, currency: str) -> str:
    """The canonical stored/JSON form: plain digits, exactly the currency's decimals."""
    return format(round_money(amount, currency), "f")


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in one currency. Arithmetic refuses to mix currencies."""

    currency: str
    amount: Decimal

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> "Money":
        if isinstance(amount, float):  # pragma: no cover - defensive
            raise TypeError("Money never takes a float")
        return cls(check_currency(currency), round_money(Decimal(amount), currency))

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls.of(0, currency)

    def _same(self, other: "Money") -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.currency, self.amount + other.amount)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.currency, self.amount - other.amount)

    def __neg__(self) -> "Money":
        return Money(self.currency, -self.amount)

    def __bool__(self) -> bool:
        return bool(self.amount)

    def rounded(self) -> "Money":
        return Money(self.currency, round_money(self.amount, self.currency))

    def text(self) -> str:
        return to_text(self.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.text()} {self.currency}"
