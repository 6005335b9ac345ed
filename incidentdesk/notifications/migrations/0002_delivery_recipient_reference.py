"""Deliveries name their recipient by audience and reference instead of a foreign key to the
status page's subscribers, which move to `statuspage` (statuspage 0003 takes them over; the
rows stay where they are)."""

from django.db import migrations, models
from django.db.models.functions import Cast

SUBSCRIBERS = "statuspage.subscribers"


def reference_subscribers(apps, schema_editor):
    Delivery = apps.get_model("notifications", "Delivery")
    Delivery.objects.filter(subscriber__isnull=False).update(
        audience=SUBSCRIBERS, reference=Cast("subscriber_id", models.CharField())
    )


def back_to_subscribers(apps, schema_editor):
    Delivery = apps.get_model("notifications", "Delivery")
    for pk, reference in Delivery.objects.filter(audience=SUBSCRIBERS).values_list(
        "pk", "reference"
    ):
        Delivery.objects.filter(pk=pk).update(subscriber_id=int(reference))


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="audience",
            field=models.CharField(blank=True, max_length=50),
        ),
        migrations.AddField(
            model_name="delivery",
            name="reference",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.RunPython(reference_subscribers, back_to_subscribers),
        migrations.RemoveField(model_name="delivery", name="subscriber"),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(fields=["audience", "reference"], name="notificatio_audienc_84c4cd_idx"),
        ),
        # Subscribers and subscription attempts now belong to `statuspage` (its 0003); their
        # tables are kept and renamed there.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Subscriber"),
                migrations.DeleteModel(name="SubscribeAttempt"),
            ],
        ),
    ]
