"""Pure-Python DICOM cores: RDSR extraction, worklist and MPPS logic, character sets.

The pynetdicom listener that serves them lives in irflow.dicomserver.
"""
