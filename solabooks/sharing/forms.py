from django import forms

from .services import ACCEPT, MAX_MESSAGE, MAX_REASON, MAX_SIGNER_NAME, MAX_SUBJECT


class SendDocumentForm(forms.Form):
    """The Send to Customer dialog. The address is not a field: it is the one on file."""

    subject = forms.CharField(max_length=MAX_SUBJECT, required=False)
    message = forms.CharField(max_length=MAX_MESSAGE, required=False, widget=forms.Textarea)


class QuoteDecisionForm(forms.Form):
    """Accept or Decline on the quote link. `version` is the content version the page showed."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    signer_name = forms.CharField(
        label="Your full name", max_length=MAX_SIGNER_NAME, required=False
    )
    reason = forms.CharField(
        label="Reason (optional)",
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, decision: str, **kwargs):
        super().__init__(*args, prefix=decision, **kwargs)
        self.decision = decision
        if decision == ACCEPT:
            self.fields["signer_name"].required = True
            self.fields["signer_name"].widget.attrs["autocomplete"] = "name"
            del self.fields["reason"]
        else:
            del self.fields["signer_name"]
