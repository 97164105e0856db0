"""Money in integer minor units with an ISO 4217 currency. Never a float."""

from __future__ import annotations

from dataclasses import dataclass

from simexit.domain.errors import InvalidInput

# ISO 4217 minor-unit exponents for the currencies our brands use; others may be added.
MINOR_UNITS: dict[str, int] = {"CNY": 2, "EUR": 2, "USD": 2, "GBP": 2, "HKD": 2, "JPY": 0}


def check_currency(currency: str) -> str:
    if currency not in MINOR_UNITS:
        raise InvalidInput("CURRENCY_UNKNOWN", f"unknown or unsupported currency {currency!r}", currency=currency)
    return currency


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise InvalidInput("AMOUNT_NOT_INTEGER", "amounts are integers in minor units", amount=repr(self.minor))
        check_currency(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidInput(
                "CURRENCY_MISMATCH", f"cannot combine {self.currency} and {other.currency}",
                left=self.currency, right=other.currency,
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def max0(self) -> Money:
        return self if self.minor > 0 else Money(0, self.currency)

    def is_zero(self) -> bool:
        return self.minor == 0

    def format(self) -> str:
        """Plain decimal text such as ``CNY 12.50`` (locale-aware formatting is the UI's job)."""
        exp = MINOR_UNITS[self.currency]
        sign = "-" if self.minor < 0 else ""
        a = abs(self.minor)
        if exp == 0:
            return f"{self.currency} {sign}{a}"
        return f"{self.currency} {sign}{a // 10**exp}.{a % 10**exp:0{exp}d}"

    def to_dict(self) -> dict[str, object]:
        return {"minor": self.minor, "currency": self.currency}


def non_negative(amount: int, field: str) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise InvalidInput("AMOUNT_NOT_INTEGER", f"{field} must be an integer in minor units", field=field)
    if amount < 0:
        raise InvalidInput("AMOUNT_NEGATIVE", f"{field} must not be negative", field=field, value=amount)
    return amount


def prorate_rounded(amount: int, part: int, whole: int, rounding: str = "half_up") -> int:
    """``amount * part / whole`` in integers, rounded ``half_up``, ``down`` or ``up``; part clamped to [0, whole]."""
    if whole <= 0:
        return 0
    part = max(0, min(part, whole))
    if rounding == "down":
        return (amount * part) // whole
    if rounding == "up":
        return -((-amount * part) // whole)
    return prorate(amount, part, whole)


def prorate(amount: int, part: int, whole: int) -> int:
    """``amount * part / whole`` in integers, rounded half up; part is clamped to [0, whole]."""
    if whole <= 0:
        return 0
    part = max(0, min(part, whole))
    return (amount * part * 2 + whole) // (2 * whole)
