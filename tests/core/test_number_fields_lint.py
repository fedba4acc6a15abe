"""Every number a person or client types goes through the one plain-number grammar
(solabooks/core/numbers.py): a form's decimal field is core.forms.DecimalField, a
serializer's writable decimal field is api.fields.PlainDecimalField. Django's and DRF's
own DecimalField read "1_000", "١٢" and "1e3"; one added to a form or serializer later
fails here, not in a security review."""

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from rest_framework import serializers

import solabooks
from solabooks.api.fields import PlainDecimalField
from solabooks.core.forms import DecimalField


def _modules(name: str):
    for info in pkgutil.walk_packages(solabooks.__path__, "solabooks."):
        if info.name.rsplit(".", 1)[-1] == name:
            yield importlib.import_module(info.name)


def _classes(module_name: str, base: type) -> list[type]:
    return [
        cls
        for module in _modules(module_name)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, base) and cls.__module__.startswith("solabooks.")
    ]


FORMS = _classes("forms", forms.BaseForm)
# Output serializers never parse input (their decimals are read-only in practice).
SERIALIZERS = [
    cls
    for cls in _classes("serializers", serializers.Serializer)
    if not cls.__name__.endswith(("OutSerializer", "SummarySerializer"))
]


def test_there_is_something_to_check():
    names = {cls.__name__ for cls in FORMS + SERIALIZERS}
    assert {"LineForm", "PaymentForm", "LineInSerializer", "PaymentInSerializer"} <= names


@pytest.mark.parametrize("form", FORMS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_form_decimal_fields_read_plain_numbers(form):
    loose = [
        name
        for name, field in form.base_fields.items()
        if isinstance(field, forms.DecimalField | forms.FloatField)
        and not isinstance(field, DecimalField)
    ]
    assert not loose, f"{form.__name__}: use solabooks.core.forms.DecimalField for {loose}"


def _writable_fields(serializer: serializers.Serializer, prefix: str = ""):
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.Serializer):
            yield from _writable_fields(field, f"{prefix}{name}.")
        elif not field.read_only:
            yield f"{prefix}{name}", field


@pytest.mark.parametrize("serializer", SERIALIZERS, ids=lambda cls: cls.__name__)
def test_serializer_decimal_inputs_read_plain_numbers(serializer):
    loose = [
        name
        for name, field in _writable_fields(serializer())
        if isinstance(field, serializers.DecimalField | serializers.FloatField)
        and not isinstance(field, PlainDecimalField)
    ]
    assert not loose, f"{serializer.__name__}: use api.fields.PlainDecimalField for {loose}"
