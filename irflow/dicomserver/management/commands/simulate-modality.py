"""`irflow simulate-modality`: a scripted modality runs one procedure against irflow."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from irflow.dicomserver.simulator import SimulationError, simulate_modality


class Command(BaseCommand):
    help = (
        "Act as the modality at a station: query the worklist for today's steps, pick one, "
        "send MPPS IN PROGRESS, a synthetic dose report (RDSR) and MPPS COMPLETED."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--station", required=True, help="Scheduled station AE title.")
        parser.add_argument("--host", default=None, help="irflow's DICOM host.")
        parser.add_argument("--port", type=int, default=None, help="irflow's DICOM port.")
        parser.add_argument(
            "--ae-title", default=None, help="Calling AE title (default: the station)."
        )
        parser.add_argument("--called-ae", default=None, help="irflow's AE title.")
        parser.add_argument("--patient-id", default="", help="Only this patient's steps.")
        outcome = parser.add_mutually_exclusive_group()
        outcome.add_argument(
            "--complete", action="store_true", help="End the step COMPLETED (default)."
        )
        outcome.add_argument(
            "--discontinue", action="store_true", help="End the step DISCONTINUED."
        )

    def handle(self, *, station, host, port, ae_title, called_ae, patient_id, **options) -> None:
        try:
            result = simulate_modality(
                host=host or settings.IRFLOW_DICOM_HOST,
                port=port or settings.IRFLOW_DICOM_PORT,
                station=station,
                called_ae=called_ae or settings.IRFLOW_DICOM_AE_TITLE,
                calling_ae=ae_title,
                patient_id=patient_id,
                final_status="DISCONTINUED" if options["discontinue"] else "COMPLETED",
                log=self.stdout.write,
                # The modality's clock shows the department's local time.
                now=lambda: timezone.localtime().replace(tzinfo=None),
            )
        except SimulationError as exc:
            raise CommandError(str(exc)) from exc
        step = result.step
        assert step is not None
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {step.sps_id} {result.final_status} "
                f"(MPPS {result.mpps_uid}, dose report "
                f"{'stored' if result.rdsr_stored else 'not stored'})"
            )
        )
