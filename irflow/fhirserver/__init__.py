"""The FHIR R4 endpoint (`/fhir`): irflow's record read from its models into the pure mappers
(irflow.fhir), read and search with the API's authentication, permissions and access log, a
referral taken as a ServiceRequest, and the CapabilityStatement generated from the code."""
