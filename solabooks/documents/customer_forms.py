"""The form a customer fills in about a document: the decision on a sent quote, one form
for the quote link (sharing) and the portal."""

from django import forms

from .quote_decisions import ACCEPT, DECLINE, MAX_REASON, MAX_SIGNER_NAME

SIGNER_REQUIRED = "Please type your full name to accept."


class QuoteDecisionForm(forms.Form):
    """Accept or Decline. A page shows one form per decision; each posts `op` = accept or
    decline and its fields with that prefix: `accept-version`, `accept-signer_name`,
    `decline-version`, `decline-reason`. `version` is the content version the page showed.
    Templates: `documents/_quote_decision.html`."""

    version = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    signer_name = forms.CharField(
        label="Your full name",
        max_length=MAX_SIGNER_NAME,
        error_messages={"required": SIGNER_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    reason = forms.CharField(
        label="Reason (optional)",
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, decision: str, **kwargs):
        if decision not in (ACCEPT, DECLINE):
            raise ValueError(f"Unknown decision {decision!r}")
        super().__init__(*args, prefix=decision, **kwargs)
        self.decision = decision
        del self.fields["reason" if decision == ACCEPT else "signer_name"]

    @classmethod
    def pair(cls, *, version: int) -> dict[str, "QuoteDecisionForm"]:
        """Both forms, unbound, for a page showing `version` of the quote."""
        return {
            decision: cls(initial={"version": version}, decision=decision)
            for decision in (ACCEPT, DECLINE)
        }
