"""Web forms for accounts. They parse input; the services check the rules."""

from typing import cast

from django import forms

from incidentdesk.accounts.models import Role, TokenScope, User


class PasswordPairForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text="At least 8 characters, not a common password.",
    )
    password_again = forms.CharField(
        label="Password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "the two passwords differ")
        return data


class SetupForm(PasswordPairForm):
    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    email = forms.CharField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    full_name = forms.CharField(
        required=False, max_length=300, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )

    field_order = ["username", "email", "full_name", "password", "password_again"]


class UserCreateForm(PasswordPairForm):
    username = forms.CharField(max_length=150)
    email = forms.CharField(widget=forms.EmailInput)
    full_name = forms.CharField(required=False, max_length=300)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.RESPONDER)
    on_responders_desk = forms.BooleanField(required=False, label="On the responders desk")

    field_order = ["username", "email", "full_name", "role", "on_responders_desk", "password"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "new_%s")
        super().__init__(*args, **kwargs)


class UserUpdateForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    on_responders_desk = forms.BooleanField(required=False)
    is_active = forms.BooleanField(required=False)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. “monitoring webhook”.")
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.READ)
    owner = forms.ChoiceField(required=False, help_text="Admins can make tokens for others.")

    def __init__(self, *args, user: User, for_others: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not for_others:
            del self.fields["owner"]
            return
        people = User.objects.filter(is_active=True).exclude(pk=user.pk)
        owner = cast(forms.ChoiceField, self.fields["owner"])
        owner.choices = [("", "Me")] + [
            (str(u.pk), f"{u.display_name} ({u.username})") for u in people
        ]
