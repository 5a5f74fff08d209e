"""Pure-Python DICOM cores (RDSR extraction, worklist matching); the pynetdicom server lives in irflow.dicomserver."""
