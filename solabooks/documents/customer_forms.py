"""The form a customer fills in about a document: the decision on a sent quote, one form
for the quote link (sharing) and the portal."""

from django import forms

from .acceptance import TERMS_NOT_AGREED
from .models import QuoteTerms
from .quote_decisions import ACCEPT, DECLINE, MAX_REASON, MAX_SIGNER_NAME

SIGNER_REQUIRED = "Please type your full name to accept."


class QuoteDecisionForm(forms.Form):
    """Accept or Decline. A page shows one form per decision; each posts `op` = accept or
    decline and its fields with that prefix: `accept-version`, `accept-signer_name`,
    `decline-version`, `decline-reason`. `version` is the content version the page showed.
    Templates: `documents/_quote_decision.html`.

    When the business has quote terms (`terms`), Accept also posts `accept-terms_version`
    (the version shown beside the button) and needs `accept-agree_terms` ticked;
    decide_quote checks both again, against the terms current when it runs."""

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

    terms_version = forms.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, widget=forms.HiddenInput
    )
    agree_terms = forms.BooleanField(
        label="I agree to the terms",
        required=False,
        error_messages={"required": TERMS_NOT_AGREED},
    )

    def __init__(self, *args, decision: str, terms: QuoteTerms | None = None, **kwargs):
        if decision not in (ACCEPT, DECLINE):
            raise ValueError(f"Unknown decision {decision!r}")
        super().__init__(*args, prefix=decision, **kwargs)
        self.decision = decision
        del self.fields["reason" if decision == ACCEPT else "signer_name"]
        self.terms = terms if decision == ACCEPT else None
        if self.terms is None:
            del self.fields["terms_version"], self.fields["agree_terms"]
        else:
            self.fields["agree_terms"].required = True
            self.fields["terms_version"].initial = self.terms.version

    def decision_kwargs(self) -> dict:
        """What decide_quote takes from the terms fields (nothing without terms)."""
        if self.terms is None:
            return {}
        return {
            "terms_version": self.cleaned_data.get("terms_version"),
            "agreed_to_terms": bool(self.cleaned_data.get("agree_terms")),
        }

    @classmethod
    def pair(
        cls, *, version: int, terms: QuoteTerms | None = None
    ) -> dict[str, "QuoteDecisionForm"]:
        """Both forms, unbound, for a page showing `version` of the quote (and `terms`)."""
        return {
            decision: cls(initial={"version": version}, decision=decision, terms=terms)
            for decision in (ACCEPT, DECLINE)
        }
