"""The real listener, in-process on a free loopback port, over the test database.

Tests that talk to it use `transactional_db`: the listener's association threads open their
own database connections and must see committed data.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset

from irflow.catalogue.models import ProcedureType
from irflow.catalogue.seed import catalogue_seed
from irflow.dicomserver import server
from irflow.dicomserver.scu import Serial
from irflow.testing.service import free_port
from irflow.testing.tools import require_tool


@dataclass
class Listener:
    host: str
    port: int
    ae_title: str


@pytest.fixture
def listener(transactional_db):
    """irflow's DICOM listener (every registered service) on a free port."""
    # Transactional tests flush the tables: put back the catalogue the migrations seeded.
    catalogue_seed(ProcedureType)
    config = server.ListenerConfig.from_settings(host="127.0.0.1", port=free_port())
    running = server.start(config, block=False)
    try:
        yield Listener(config.host, config.port, config.ae_title)
    finally:
        server.stop(running)


def findscu(
    listener: Listener,
    *keys: str,
    out: Path,
    calling: str = "ANGIO1",
    timeout: float = 60,
    debug: bool = False,
    options: tuple[str, ...] = (),
) -> tuple[subprocess.CompletedProcess, list[Dataset]]:
    """Run dcmtk's findscu as a worklist query; return the process and the responses.
    `options` go before the keys (TLS options, for one)."""
    binary = require_tool("findscu", "dcmtk")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("rsp*.dcm"):
        old.unlink()
    args = [binary, "-d" if debug else "-v", "-W", "-X", "-od", str(out)]
    args += ["-aet", calling, "-aec", listener.ae_title, *options]
    for key in keys:
        args += ["-k", key]
    args += [listener.host, str(listener.port)]
    process = subprocess.run(
        args,
        capture_output=True,
        encoding="utf-8",
        errors="replace",  # dcmtk prints values in whatever character set they came in
        timeout=timeout,
        env={"TCP_NODELAY": "1", "PATH": "/usr/bin:/bin"},
    )
    responses = [dcmread(path) for path in sorted(out.glob("rsp*.dcm"))]
    return process, responses


def dicom_date(day: date | datetime) -> str:
    return day.strftime("%Y%m%d")


@pytest.fixture
def associate(listener):
    """Open pynetdicom associations to the listener (each request waits for the
    association's reactor to pause: `irflow.dicomserver.scu`); all are released at the end."""
    from pynetdicom import AE
    from pynetdicom.sop_class import (  # type: ignore[attr-defined]
        ModalityPerformedProcedureStep,
        ModalityWorklistInformationFind,
        Verification,
    )

    opened = []

    def open_association(calling: str = "ANGIO1"):
        ae = AE(ae_title=calling)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 30
        for context in (
            ModalityWorklistInformationFind,
            ModalityPerformedProcedureStep,
            Verification,
        ):
            ae.add_requested_context(context)
        assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
        opened.append(assoc)
        return Serial(assoc)

    yield open_association
    for assoc in opened:
        if assoc.is_established:
            assoc.release()
