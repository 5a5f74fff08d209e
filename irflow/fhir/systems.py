"""Code and identifier systems the FHIR resources use, each with where it is defined.

irflow's own systems (the MRN issuer's identifiers, its local codes) are not here: they depend
on the site and come in a `Site` (irflow.fhir.base), built from the settings.
"""

from __future__ import annotations

# https://loinc.org/ (FHIR: http://hl7.org/fhir/R4/loinc.html)
LOINC = "http://loinc.org"
# https://www.snomed.org/ (FHIR: http://hl7.org/fhir/R4/snomedct.html)
SNOMED = "http://snomed.info/sct"
# https://ucum.org/ (FHIR: http://hl7.org/fhir/R4/ucum.html)
UCUM = "http://unitsofmeasure.org"
# DICOM PS3.16 controlled terminology (DCM); FHIR: http://hl7.org/fhir/R4/dicom.html
DCM = "http://dicom.nema.org/resources/ontology/DCM"
# DICOM UIDs as identifiers: http://hl7.org/fhir/R4/imagingstudy.html#notes ("urn:dicom:uid")
DICOM_UID = "urn:dicom:uid"
# HL7 v2 table 0203, identifier type: http://terminology.hl7.org/CodeSystem/v2-0203
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
# http://hl7.org/fhir/R4/codesystem-observation-category.html
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
# http://hl7.org/fhir/R4/codesystem-allergyintolerance-clinical.html
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
# http://hl7.org/fhir/R4/codesystem-allergyintolerance-verification.html
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
# http://hl7.org/fhir/R4/codesystem-device-action.html (implanted, explanted, manipulated)
DEVICE_ACTION = "http://hl7.org/fhir/device-action"
# UDI issuers: http://hl7.org/fhir/R4/device-mappings.html#udi and
# http://hl7.org/fhir/R4/namingsystem-registry.html (GS1, HIBCC device identifiers)
UDI_ISSUER = {
    "GS1": "http://hl7.org/fhir/NamingSystem/gs1-di",
    "HIBCC": "http://hl7.org/fhir/NamingSystem/hibcc-dI",
}
# http://hl7.org/fhir/R4/codesystem-adverse-event-actuality.html etc. are plain codes in R4.
# http://hl7.org/fhir/R4/codesystem-adverse-event-outcome.html
ADVERSE_EVENT_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
# http://hl7.org/fhir/R4/codesystem-location-physical-type.html
LOCATION_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
# http://hl7.org/fhir/R4/codesystem-organization-type.html
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
# http://hl7.org/fhir/R4/v3/ParticipationType/cs.html
V3_PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
# BCP 47 language tags: http://hl7.org/fhir/R4/languages.html
BCP47 = "urn:ietf:bcp:47"
# The Radiation Dose Summary for Diagnostic Procedures IG (STU1):
# http://hl7.org/fhir/uv/radiation-dose-summary/ — its summary Observation's profile.
RADIATION_DOSE_SUMMARY_PROFILE = (
    "http://hl7.org/fhir/uv/radiation-dose-summary/StructureDefinition/radiation-summary"
)

# LOINC codes (https://loinc.org/<code>/)
LOINC_RADIOLOGY = ("LP29684-5", "Radiology")  # DiagnosticReport.category
LOINC_IR_REPORT = ("47048-4", "Diagnostic interventional study report")
LOINC_RADIATION_DOSE = ("73569-6", "Radiation exposure and protection information")
LOINC_PAIN_NRS = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
# Lab analytes irflow keeps, each in its canonical unit (irflow.patients.models.ANALYTE_UNITS):
# (LOINC code, display, UCUM code).
LOINC_LABS: dict[str, tuple[str, str, str]] = {
    "inr": ("6301-6", "INR in Platelet poor plasma by Coagulation assay", "{INR}"),
    "platelets": ("777-3", "Platelets [#/volume] in Blood by Automated count", "10*9/L"),
    "haemoglobin": ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/L"),
    "creatinine": ("14682-9", "Creatinine [Moles/volume] in Serum or Plasma", "umol/L"),
    "egfr": (
        "62238-1",
        "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma "
        "or Blood by Creatinine-based formula (CKD-EPI)",
        "mL/min/{1.73_m2}",
    ),
    "fibrinogen": (
        "3255-7",
        "Fibrinogen [Mass/volume] in Platelet poor plasma by Coagulation assay",
        "g/L",
    ),
}

# DICOM codes of the dose summary's components (PS3.16 CID 10050 and TID 10001/10004).
DCM_DOSE_RP_TOTAL = ("113725", "Dose (RP) Total", "mGy")
DCM_DAP_TOTAL = ("113722", "Dose Area Product Total", "Gy.m2")
DCM_FLUORO_DAP_TOTAL = ("113726", "Fluoro Dose Area Product Total", "Gy.m2")
DCM_ACQUISITION_DAP_TOTAL = ("113727", "Acquisition Dose Area Product Total", "Gy.m2")
DCM_FLUORO_TIME_TOTAL = ("113730", "Total Fluoro Time", "s")

# SNOMED CT procedure outcomes, the R4 example value set
# http://hl7.org/fhir/R4/valueset-procedure-outcome.html
SNOMED_OUTCOME = {
    "success": ("385669000", "Successful"),
    "partial": ("385670004", "Partially successful"),
    "failure": ("385671000", "Unsuccessful"),
}
