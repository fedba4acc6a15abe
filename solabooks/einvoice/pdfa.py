"""What turns the invoice PDF into a Factur-X PDF/A-3b: the XML as an associated file and
the Factur-X XMP metadata, with the PDF/A extension schema that declares its properties.

WeasyPrint writes the PDF/A-3b itself (fonts embedded, an sRGB output intent, the PDF/A
identification in the XMP); pdf.services passes it what this module returns.
"""

from xml.sax.saxutils import escape

from lxml import etree

from .cii import FACTURX_CONFORMANCE, FACTURX_VERSION, xml_text

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


def facturx_metadata(metadata):
    """A copy of a WeasyPrint DocumentMetadata whose XMP packet also holds the Factur-X
    properties, inside WeasyPrint's own rdf:RDF: XMP allows one rdf:RDF per packet, and
    WeasyPrint's `xmp_metadata` list would add a second one beside it."""
    from weasyprint.pdf.metadata import DocumentMetadata

    class FacturXMetadata(DocumentMetadata):
        def generate_rdf_metadata(self, variant, version, conformance) -> bytes:
            # Both inputs are made here (WeasyPrint's packet, our block): no entities, no
            # network, whatever they contain.
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            own = super().generate_rdf_metadata(variant, version, conformance)
            rdf = etree.fromstring(own, parser)
            rdf.extend(list(etree.fromstring(facturx_xmp(), parser)))
            return etree.tostring(rdf)

    fields = vars(metadata).copy()
    # The title, authors and description come from names staff typed; a character XML
    # cannot carry (a pasted vertical tab) would make the whole XMP packet unreadable.
    for name in ("title", "description"):
        if fields.get(name):
            fields[name] = xml_text(fields[name])
    fields["authors"] = [xml_text(author) for author in fields.get("authors") or []]
    fields["keywords"] = [xml_text(keyword) for keyword in fields.get("keywords") or []]
    return FacturXMetadata(**fields)
