"""The staff REST API (/finance/api/v1/), one module per resource. Each view parses input
with a serializer, calls one service (or selector), and answers with an output serializer:
no rules live here.

Every read goes through `Model.objects.for_org(self.organization)` or a selector that takes
the business, and single objects through `.get_or_404()`, so another business's id is a
404 exactly like an id that does not exist.
"""
