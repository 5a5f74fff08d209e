"""The DICOM listener and its services: Modality Worklist, MPPS, Storage of dose reports; remote
AEs; reconciliation of unscheduled steps; the modality simulator."""
