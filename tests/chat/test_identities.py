"""A chat user acts as the account linked to them: by the verified email the platform reports,
or by an admin's hand."""

import pytest

from incidentdesk.accounts.models import Role
from incidentdesk.chat.models import ChatIdentity, LinkMethod
from incidentdesk.chat.platforms.base import ChatUser
from incidentdesk.chat.services import (
    actor_for,
    identity_for,
    identity_link,
    identity_unlink,
)
from incidentdesk.core.errors import NotAuthenticated, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


def meet(user_id="U42", name="Ada", email="ada@example.com", platform="slack") -> ChatIdentity:
    return identity_for(platform, ChatUser(id=user_id, name=name, email=email))


def test_a_chat_user_is_linked_to_the_account_with_their_verified_email_in_any_case():
    ada = UserFactory(username="ada", email="Ada@Example.com")
    identity = meet(email="ada@EXAMPLE.com")
    assert identity.user == ada and identity.link == LinkMethod.EMAIL
    assert identity.linked_at is not None
    assert actor_for("slack", "U42") == ada


def test_meeting_again_keeps_one_identity_and_takes_the_new_name():
    UserFactory(username="ada", email="ada@example.com")
    first = meet()
    again = meet(name="Ada L.")
    assert again.pk == first.pk and again.name == "Ada L."
    assert ChatIdentity.objects.count() == 1


def test_a_deactivated_account_is_not_linked_by_email():
    UserFactory(username="ada", email="ada@example.com", is_active=False)
    identity = meet()
    assert identity.user is None and identity.link == LinkMethod.NONE


def test_two_accounts_with_the_same_email_link_neither():
    UserFactory(username="ada", email="ada@example.com")
    UserFactory(username="ada2", email="ADA@example.com")
    assert meet().user is None


def test_an_active_account_is_linked_though_a_deactivated_one_shares_its_email():
    UserFactory(username="old", email="ada@example.com", is_active=False)
    ada = UserFactory(username="ada", email="ada@example.com")
    assert meet().user == ada


def test_an_unknown_email_leaves_the_link_as_it_was():
    ada = UserFactory(username="ada", email="ada@example.com")
    meet()
    assert meet(email="").user == ada


def test_a_changed_email_moves_an_email_link():
    UserFactory(username="ada", email="ada@example.com")
    bob = UserFactory(username="bob", email="bob@example.com")
    meet()
    identity = meet(email="bob@example.com")
    assert identity.user == bob and identity.email == "bob@example.com"


def test_an_account_linked_on_the_platform_already_is_not_linked_again_by_email():
    ada = UserFactory(username="ada", email="ada@example.com")
    admin = UserFactory(role=Role.ADMIN)
    other = meet(user_id="U7", email="")
    identity_link(actor=admin, source=WEB, identity=other, user=ada)
    assert meet().user is None
    # The same account may act as one identity on each platform.
    assert meet(platform="matrix", user_id="@ada:example.org").user == ada


def test_an_admin_links_by_hand_and_a_later_email_does_not_change_it():
    admin = UserFactory(role=Role.ADMIN)
    ada = UserFactory(username="ada", email="ada@example.com")
    UserFactory(username="bob", email="bob@example.com")
    identity = identity_link(actor=admin, source=WEB, identity=meet(email=""), user=ada)
    assert identity.link == LinkMethod.ADMIN
    assert meet(email="bob@example.com").user == ada


def test_an_admin_unlinks_and_the_email_does_not_link_it_again():
    admin = UserFactory(role=Role.ADMIN)
    UserFactory(username="ada", email="ada@example.com")
    identity = identity_unlink(actor=admin, source=WEB, identity=meet())
    assert identity.user is None and identity.link == LinkMethod.ADMIN
    assert meet(email="other@example.com").user is None
    assert meet(email="ada@example.com").user is None
    with pytest.raises(NotAuthenticated):
        actor_for("slack", "U42")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.RESPONDER, Role.MANAGER])
def test_only_an_admin_may_link_or_unlink(role):
    person = UserFactory(role=role)
    ada = UserFactory(username="ada", email="ada@example.com")
    identity = meet(email="")
    with pytest.raises(PermissionDenied, match="needs admin"):
        identity_link(actor=person, source=WEB, identity=identity, user=ada)
    linked = meet(email="ada@example.com")
    with pytest.raises(PermissionDenied, match="needs admin"):
        identity_unlink(actor=person, source=WEB, identity=linked)
    linked.refresh_from_db()
    assert linked.user == ada and linked.link == LinkMethod.EMAIL


def test_an_admin_cannot_link_a_deactivated_account():
    admin = UserFactory(role=Role.ADMIN)
    gone = UserFactory(username="gone", is_active=False)
    with pytest.raises(ValidationError) as refused:
        identity_link(actor=admin, source=WEB, identity=meet(email=""), user=gone)
    assert refused.value.field == "user"
    assert ChatIdentity.objects.get().user is None


def test_an_admin_cannot_link_an_account_to_a_second_identity_on_one_platform():
    admin = UserFactory(role=Role.ADMIN)
    ada = UserFactory(username="ada", email="ada@example.com")
    meet()
    stranger = meet(user_id="U9", name="Stranger", email="")
    with pytest.raises(ValidationError, match="already linked to Ada") as refused:
        identity_link(actor=admin, source=WEB, identity=stranger, user=ada)
    assert refused.value.field == "user"


def test_an_unknown_chat_user_is_told_how_to_get_linked():
    with pytest.raises(
        NotAuthenticated, match="not linked to an IncidentDesk account; ask an admin"
    ):
        actor_for("slack", "U404")


def test_an_unlinked_chat_user_is_told_how_to_get_linked():
    meet(email="nobody@example.com")
    with pytest.raises(NotAuthenticated, match="ask an admin to link it"):
        actor_for("slack", "U42")


def test_a_chat_user_whose_account_was_deactivated_is_refused():
    ada = UserFactory(username="ada", email="ada@example.com")
    meet()
    ada.is_active = False
    ada.save()
    with pytest.raises(PermissionDenied, match="deactivated"):
        actor_for("slack", "U42")


def test_an_identity_with_no_id_is_refused_naming_the_user():
    with pytest.raises(ValidationError) as refused:
        meet(user_id="")
    assert refused.value.field == "user"
