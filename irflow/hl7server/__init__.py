"""HL7 v2 over MLLP: the listener (`irflow hl7`), the inbound log that holds every message
before it is acknowledged, applying ADT and orders through the services, the outbox per
destination, and the interface pages."""
