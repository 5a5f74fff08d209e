"""Pure-Python FHIR R4 mapping: irflow's record as standard resources, one module per resource,
from plain data, no Django."""
