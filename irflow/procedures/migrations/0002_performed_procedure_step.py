"""Performed procedure steps (MPPS) are the procedure record's: the model moves here from the
DICOM listener's app. The table stays as it is (state only)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0004_completion_requires"),
        ("orders", "0002_order_cancel_reason"),
        ("patients", "0001_initial"),
        ("procedures", "0001_initial"),
        ("dicomserver", "0002_remote_ae_and_step_details"),
        ("scheduling", "0002_no_double_booking"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PerformedProcedureStep",
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
                        ("sop_instance_uid", models.CharField(max_length=64, unique=True)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("IN PROGRESS", "In progress"),
                                    ("COMPLETED", "Completed"),
                                    ("DISCONTINUED", "Discontinued"),
                                ],
                                max_length=12,
                            ),
                        ),
                        ("calling_ae_title", models.CharField(blank=True, max_length=16)),
                        ("station_ae_title", models.CharField(blank=True, max_length=16)),
                        ("modality", models.CharField(blank=True, max_length=16)),
                        ("pps_id", models.CharField(blank=True, max_length=16)),
                        (
                            "study_instance_uid",
                            models.CharField(blank=True, db_index=True, max_length=64),
                        ),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("ended_at", models.DateTimeField(blank=True, null=True)),
                        ("discontinuation_reason", models.CharField(blank=True, max_length=200)),
                        ("attributes", models.JSONField(blank=True, default=dict)),
                        ("performed_series", models.JSONField(blank=True, default=list)),
                        ("dose_sr_uids", models.JSONField(blank=True, default=list)),
                        ("reconciled_at", models.DateTimeField(blank=True, null=True)),
                        ("reconciliation_note", models.CharField(blank=True, max_length=300)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "booking",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="performed_steps",
                                to="scheduling.booking",
                            ),
                        ),
                        (
                            "order",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="performed_steps",
                                to="orders.order",
                            ),
                        ),
                        (
                            "patient",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="performed_steps",
                                to="patients.patient",
                            ),
                        ),
                        (
                            "reconciled_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "room",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="performed_steps",
                                to="catalogue.room",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "dicomserver_performedprocedurestep",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("booking__isnull", True)),
                                fields=["-created_at"],
                                name="pps_unreconciled",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
