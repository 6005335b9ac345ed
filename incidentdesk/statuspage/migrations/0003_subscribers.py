"""Subscribers and subscription attempts move here from `notifications` with their rows: the
models are taken over as they are (notifications 0002 let go of them), then their tables are
renamed to this app's names (the subscribers' component table with them)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0004_component_public_status"),
        ("notifications", "0002_delivery_recipient_reference"),
        ("statuspage", "0002_render_failure"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Subscriber",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[("email", "Email"), ("webhook", "Webhook")], max_length=8
                            ),
                        ),
                        ("email", models.EmailField(blank=True, max_length=254)),
                        ("url", models.URLField(blank=True, max_length=500)),
                        ("confirmed_at", models.DateTimeField(blank=True, null=True)),
                        ("unsubscribed_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("created_ip", models.GenericIPAddressField(blank=True, null=True)),
                        (
                            "components",
                            models.ManyToManyField(
                                blank=True, related_name="subscribers", to="incidents.component"
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-created_at"],
                        "db_table": "notifications_subscriber",
                        "indexes": [
                            models.Index(
                                fields=["kind", "confirmed_at"], name="notificatio_kind_426078_idx"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SubscribeAttempt",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("ip", models.GenericIPAddressField()),
                        (
                            "created_at",
                            models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                        ),
                    ],
                    options={"db_table": "notifications_subscribeattempt"},
                ),
            ],
        ),
        # The same rows under this app's table names.
        migrations.AlterModelTable(name="subscriber", table=None),
        migrations.AlterModelTable(name="subscribeattempt", table=None),
    ]
