import factory
from django.utils import timezone

from incidentdesk.accounts.models import Role, User
from incidentdesk.core.ids import new_public_id
from incidentdesk.incidents.models import (
    Component,
    Incident,
    IncidentStatus,
    Severity,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.RESPONDER
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component

    name = factory.Sequence(lambda n: f"Component {n}")
    public_id = factory.LazyFunction(new_public_id)
    position = factory.Sequence(lambda n: n)


def severity(key: str = "major") -> Severity:
    return Severity.objects.get(key=key)


class IncidentFactory(factory.django.DjangoModelFactory):
    """An incident row made directly, for tests of reads. Tests of writes use the services."""

    class Meta:
        model = Incident

    year = factory.LazyFunction(lambda: timezone.now().year)
    number = factory.Sequence(lambda n: 9000 + n)
    reference = factory.LazyAttribute(lambda i: f"INC-{i.year}-{i.number:04d}")
    title = factory.Sequence(lambda n: f"Incident {n}")
    severity = factory.LazyFunction(lambda: severity("major"))
    status = IncidentStatus.INVESTIGATING
    criteria = ["immediate_response"]
    detected_at = factory.LazyFunction(timezone.now)
