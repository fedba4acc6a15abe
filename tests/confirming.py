"""Posting to a destructive staff action as its dialog does: with `confirmed=yes`
(solabooks/core/confirm.py; without it the view answers with a page that asks first)."""

from solabooks.core.confirm import CONFIRMED_FIELD, CONFIRMED_VALUE

CONFIRMED = {CONFIRMED_FIELD: CONFIRMED_VALUE}
