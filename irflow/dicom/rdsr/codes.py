"""Concept codes of TID 10001 / 10011 and the matching rule for them.

Content items are matched on (code value, coding scheme), never on the code meaning, which
varies between vendors ("Fluoro Dose(RP) Total", "mA"). SNOMED codes appear both in the
retired SRT form and the SCT form that replaced it; :func:`canonical` folds them into one key.
"""

from __future__ import annotations

type CodeKey = tuple[str, str]

# Designators used over the years for the SNOMED-RT style codes ("P5-06000").
_SRT_SCHEMES = frozenset({"SRT", "SNM3", "99SDM"})

# SRT code → SCT concept id, for the SNOMED codes this reader compares against.
_SRT_TO_SCT = {
    "P5-06000": "44491008",  # Fluoroscopy
    "P5-08000": "77477000",  # Computed Tomography X-Ray
    "P5-40010": "71651007",  # Mammography
}

_cache: dict[tuple[str, str], CodeKey] = {}


def canonical(value: str, scheme: str) -> CodeKey:
    """Return the key two codes share when they mean the same concept."""
    raw = (value, scheme)
    key = _cache.get(raw)
    if key is None:
        if scheme in _SRT_SCHEMES:
            sct = _SRT_TO_SCT.get(value)
            key = (sct, "SCT") if sct else (value, "SRT")
        else:
            key = raw
        _cache[raw] = key
    return key


def dcm(value: str) -> CodeKey:
    """Key of a DICOM (DCM) code."""
    return (value, "DCM")


def sct(value: str) -> CodeKey:
    """Key of a SNOMED CT code (also matches its SRT form, see :func:`canonical`)."""
    return (value, "SCT")


# Document root and context (TID 10001 / 10011)
XRAY_RADIATION_DOSE_REPORT = dcm("113701")
RADIOPHARMACEUTICAL_RADIATION_DOSE_REPORT = dcm("113500")
PROCEDURE_REPORTED = dcm("121058")
PROJECTION_XRAY = dcm("113704")
COMPUTED_TOMOGRAPHY = sct("77477000")
MAMMOGRAPHY = sct("71651007")
DEVICE_OBSERVER_UID = dcm("121012")
DEVICE_OBSERVER_NAME = dcm("121013")
DEVICE_OBSERVER_MANUFACTURER = dcm("121014")
DEVICE_OBSERVER_MODEL = dcm("121015")
DEVICE_OBSERVER_SERIAL = dcm("121016")
SCOPE_OF_ACCUMULATION = dcm("113705")
SCOPE_STUDY = dcm("113014")
SCOPE_PPS = dcm("113016")
STUDY_INSTANCE_UID = dcm("110180")
PPS_SOP_INSTANCE_UID = dcm("121126")

# Projection X-ray accumulated data (TID 10002 / 10004 / 10007)
ACCUMULATED_XRAY_DOSE = dcm("113702")
ACQUISITION_PLANE = dcm("113764")
PLANE_A = dcm("113620")
PLANE_B = dcm("113621")
SINGLE_PLANE = dcm("113622")
DAP_TOTAL = dcm("113722")
FLUORO_DAP_TOTAL = dcm("113726")
ACQUISITION_DAP_TOTAL = dcm("113727")
DOSE_RP_TOTAL = dcm("113725")
FLUORO_DOSE_RP_TOTAL = dcm("113728")
ACQUISITION_DOSE_RP_TOTAL = dcm("113729")
TOTAL_FLUORO_TIME = dcm("113730")
TOTAL_ACQUISITION_TIME = dcm("113855")
TOTAL_RADIOGRAPHIC_FRAMES = dcm("113731")
REFERENCE_POINT_DEFINITION = dcm("113780")
CALIBRATION = dcm("122505")
CALIBRATION_FACTOR = dcm("122322")
CALIBRATION_UNCERTAINTY = dcm("113763")

# Irradiation event (TID 10003)
IRRADIATION_EVENT = dcm("113706")
IRRADIATION_EVENT_UID = dcm("113769")
DATETIME_STARTED = dcm("111526")
IRRADIATION_EVENT_TYPE = dcm("113721")
FLUOROSCOPY = sct("44491008")
STATIONARY_ACQUISITION = dcm("113611")
STEPPING_ACQUISITION = dcm("113612")
ROTATIONAL_ACQUISITION = dcm("113613")
ACQUISITION_PROTOCOL = dcm("125203")
DOSE_AREA_PRODUCT = dcm("122130")
DOSE_RP = dcm("113738")
KVP = dcm("113733")
TUBE_CURRENT = dcm("113734")
AVERAGE_TUBE_CURRENT = dcm("113767")
EXPOSURE = dcm("113736")
EXPOSURE_TIME = dcm("113735")
EXPOSURE_TIME_NEW = dcm("113824")  # replaced 113735 in later editions of the standard
IRRADIATION_DURATION = dcm("113742")
PULSE_RATE = dcm("113791")
NUMBER_OF_PULSES = dcm("113768")
PULSE_WIDTH = dcm("113793")
FLUORO_MODE = dcm("113732")
FLUORO_CONTINUOUS = dcm("113630")
FLUORO_PULSED = dcm("113631")
PRIMARY_ANGLE = dcm("112011")
SECONDARY_ANGLE = dcm("112012")
DISTANCE_SOURCE_TO_DETECTOR = dcm("113750")
DISTANCE_SOURCE_TO_ISOCENTER = dcm("113748")
TABLE_LONGITUDINAL_POSITION = dcm("113751")
TABLE_LATERAL_POSITION = dcm("113752")
TABLE_HEIGHT_POSITION = dcm("113753")
XRAY_FILTERS = dcm("113771")
XRAY_FILTER_TYPE = dcm("113772")
XRAY_FILTER_MATERIAL = dcm("113757")
XRAY_FILTER_THICKNESS_MIN = dcm("113758")
XRAY_FILTER_THICKNESS_MAX = dcm("113773")
TARGET_REGION = dcm("123014")

# CT (TID 10011 / 10012 / 10013)
CT_ACCUMULATED_DOSE = dcm("113811")
CT_EVENT_COUNT = dcm("113812")
CT_DLP_TOTAL = dcm("113813")
CT_ACQUISITION = dcm("113819")
CT_ACQUISITION_TYPE = dcm("113820")
CT_SCANNING_LENGTH = dcm("113825")
CT_PITCH_FACTOR = dcm("113828")
CT_MEAN_CTDI_VOL = dcm("113830")
CT_DLP = dcm("113838")
CT_PHANTOM_TYPE = dcm("113835")

EVENT_TYPES = {
    FLUOROSCOPY: "fluoroscopy",
    STATIONARY_ACQUISITION: "stationary_acquisition",
    STEPPING_ACQUISITION: "stepping_acquisition",
    ROTATIONAL_ACQUISITION: "rotational_acquisition",
}
PLANES = {PLANE_A: "plane_a", PLANE_B: "plane_b", SINGLE_PLANE: "single"}
FLUORO_MODES = {FLUORO_CONTINUOUS: "continuous", FLUORO_PULSED: "pulsed"}
