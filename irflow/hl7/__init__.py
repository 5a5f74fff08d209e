"""Pure-Python HL7 v2 cores: reading a message (character sets, escapes), acknowledgements,
what ADT and order messages say, and the messages irflow sends. No Django here.

The MLLP listener, the outbox and the interface pages live in irflow.hl7server.
"""
