import time
import pytest
from solabooks.pdf import services
from tests.factories import make_document
from tests.pdf.test_pdf import twenty_lines

@pytest.mark.django_db
def test_bench(customer):
    doc = make_document(customer=customer, lines=twenty_lines())
    t=time.perf_counter(); services.render_document_pdf(document=doc); print("cold", round(time.perf_counter()-t,3))
    ts=[]
    for _ in range(8):
        t=time.perf_counter(); services.render_document_pdf(document=doc); ts.append(round(time.perf_counter()-t,3))
    print("warm", ts)
