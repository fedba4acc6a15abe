from django import forms

from .models import Kind


class NotificationPreferenceForm(forms.Form):
    quote_decided = forms.BooleanField(required=False, label=Kind.QUOTE_DECIDED.label)
    first_viewed = forms.BooleanField(required=False, label=Kind.FIRST_VIEWED.label)
    portal_set_up = forms.BooleanField(required=False, label=Kind.PORTAL_SET_UP.label)
