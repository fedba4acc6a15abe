from django import forms

from .services import MAX_MESSAGE, MAX_SUBJECT


class SendDocumentForm(forms.Form):
    """The Send to Customer dialog. The address is not a field: it is the one on file."""

    subject = forms.CharField(max_length=MAX_SUBJECT, required=False)
    message = forms.CharField(max_length=MAX_MESSAGE, required=False, widget=forms.Textarea)
