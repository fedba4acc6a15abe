"""What turns the invoice PDF into a Factur-X PDF/A-3b: the XML as an associated file and
the Factur-X XMP metadata, with the PDF/A extension schema that declares its properties.

WeasyPrint writes the PDF/A-3b itself (fonts embedded, an sRGB output intent, the PDF/A
identification in the XMP); pdf.services passes it what this module returns.
"""

from xml.sax.saxutils import escape

from .cii import FACTURX_CONFORMANCE, FACTURX_VERSION

ATTACHMENT_NAME = "factur-x.xml"
# PDF 2.0 / PDF/A-3 AFRelationship: the XML is the invoice's data in another form.
ATTACHMENT_RELATIONSHIP = "Data"
PDF_VARIANT = "pdf/a-3b"
FACTURX_NAMESPACE = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"

_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML invoice file"),
    ("DocumentType", "The type of the hybrid document: INVOICE"),
    ("Version", "The version of the Factur-X XML schema"),
    ("ConformanceLevel", "The Factur-X profile of the embedded XML"),
)


def facturx_xmp() -> bytes:
    """An rdf:RDF block for the PDF's XMP packet: the Factur-X properties, and the PDF/A
    extension schema that PDF/A-3 requires for any property outside its own schemas."""
    properties = "".join(
        "<rdf:li rdf:parseType='Resource'>"
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{escape(text)}</pdfaProperty:description>"
        "</rdf:li>"
        for name, text in _PROPERTIES
    )
    return (
        "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        f"<rdf:Description rdf:about='' xmlns:fx='{FACTURX_NAMESPACE}'>"
        f"<fx:DocumentType>INVOICE</fx:DocumentType>"
        f"<fx:DocumentFileName>{ATTACHMENT_NAME}</fx:DocumentFileName>"
        f"<fx:Version>{FACTURX_VERSION}</fx:Version>"
        f"<fx:ConformanceLevel>{FACTURX_CONFORMANCE}</fx:ConformanceLevel>"
        "</rdf:Description>"
        "<rdf:Description rdf:about=''"
        " xmlns:pdfaExtension='http://www.aiim.org/pdfa/ns/extension/'"
        " xmlns:pdfaSchema='http://www.aiim.org/pdfa/ns/schema#'"
        " xmlns:pdfaProperty='http://www.aiim.org/pdfa/ns/property#'>"
        "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType='Resource'>"
        "<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{FACTURX_NAMESPACE}</pdfaSchema:namespaceURI>"
        "<pdfaSchema:prefix>fx</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{properties}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas>"
        "</rdf:Description>"
        "</rdf:RDF>"
    ).encode()
