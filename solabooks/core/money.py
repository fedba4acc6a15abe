from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor units for the currencies a business can pick.
CURRENCY_MINOR_UNITS = {
    "USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "NZD": 2, "CHF": 2, "SEK": 2,
    "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "ZAR": 2, "INR": 2, "SGD": 2, "HKD": 2,
    "MXN": 2, "BRL": 2, "JPY": 0, "KRW": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3,
}  # fmt: skip
CURRENCY_CHOICES = [(code, code) for code in sorted(CURRENCY_MINOR_UNITS)]
ZERO = Decimal("0")


# Computed once: amounts are rounded for every row of every API list page.
_QUANTA = {code: Decimal(1).scaleb(-places) for code, places in CURRENCY_MINOR_UNITS.items()}
_DEFAULT_QUANTUM = Decimal("0.01")


def quantum(currency: str) -> Decimal:
    return _QUANTA.get(currency, _DEFAULT_QUANTUM)


def round_money(amount: Decimal, currency: str) -> Decimal:
    rounded = Decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)
    # -0.001 rounds to -0.00; a zero is printed without a sign.
    return abs(rounded) if rounded.is_zero() else rounded


def minor_unit_error(amount: Decimal, currency: str) -> str | None:
    """Why `amount` is not an exact amount of `currency` (None when it is).

    Payments are money that changed hands: 10.5 JPY or 12.345 USD is a typo to point out,
    not something to round quietly.
    """
    amount = Decimal(amount)
    if not amount.is_finite():
        return "Enter a number."
    if round_money(amount, currency) == amount:
        return None
    places = CURRENCY_MINOR_UNITS.get(currency, 2)
    if places == 0:
        return f"{currency} amounts are whole numbers, without decimals."
    return f"{currency} amounts have at most {places} decimal places."


def format_money(amount: Decimal, currency: str) -> str:
    """An amount as the API writes it: a plain decimal string with exactly the currency's
    minor unit ("12.00" USD, "12" JPY, "12.000" BHD), never an exponent, never "-0.00"."""
    if not isinstance(amount, Decimal):
        amount = Decimal(amount)
    # round_money, inline: this runs for every amount of every API answer.
    rounded = amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)
    return f"{abs(rounded) if rounded.is_zero() else rounded:f}"


def format_price(price: Decimal, currency: str) -> str:
    """A unit price: at least the currency's minor unit, and the price's own further
    decimals when it has them (0.333 USD stays "0.333"; 100 USD is "100.00"). A unit price
    is not an amount that changes hands, so it is never rounded to the minor unit."""
    price = Decimal(price)
    places = max(CURRENCY_MINOR_UNITS.get(currency, 2), -price.normalize().as_tuple().exponent)
    shown = price.quantize(Decimal(1).scaleb(-places))  # drops trailing zeros only
    return f"{abs(shown) if shown.is_zero() else shown:f}"
