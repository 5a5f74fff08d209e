"""DICOM over TLS (BCP 195) on its own port, with certificates made for the test by openssl:
pynetdicom and dcmtk's findscu associate over it; clients without a certificate from the
configured CA, old protocol versions and plain TCP are refused."""

from __future__ import annotations

import socket
import ssl
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from pydicom.dataset import Dataset
from pynetdicom import AE
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    ModalityWorklistInformationFind,
    Verification,
)

from irflow.catalogue.models import ProcedureType
from irflow.catalogue.seed import catalogue_seed
from irflow.dicomserver import server
from irflow.dicomserver.synthetic import worklist_fill
from irflow.dicomserver.tests.conftest import Listener, findscu
from irflow.dicomserver.worklist.filters import ON_WORKLIST
from irflow.scheduling.models import Booking
from irflow.testing.service import free_port
from irflow.testing.tools import require_tool

pytestmark = pytest.mark.e2e


@dataclass
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    stranger_cert: Path  # signed by another CA
    stranger_key: Path


def _openssl(*args: str | Path) -> None:
    binary = require_tool("openssl", "openssl")
    subprocess.run([binary, *map(str, args)], check=True, capture_output=True, timeout=60)


def _ca(directory: Path, name: str) -> tuple[Path, Path]:
    key, cert = directory / f"{name}.key", directory / f"{name}.crt"
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", key, "-out", cert, "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return key, cert


def _leaf(directory: Path, name: str, ca: tuple[Path, Path], usage: str) -> tuple[Path, Path]:
    key, csr, cert = (directory / f"{name}.{ext}" for ext in ("key", "csr", "crt"))
    extensions = directory / f"{name}.ext"
    extensions.write_text(
        "basicConstraints=CA:FALSE\n"
        f"extendedKeyUsage={usage}\n"
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
    )
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
        "-subj", f"/CN={name}",
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", csr, "-CA", ca[1], "-CAkey", ca[0], "-CAcreateserial",
        "-days", "2", "-out", cert, "-extfile", extensions,
    )  # fmt: skip
    return key, cert


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca = _ca(directory, "irflow-test-ca")
    other_ca = _ca(directory, "other-ca")
    server_key, server_cert = _leaf(directory, "irflow", ca, "serverAuth")
    client_key, client_cert = _leaf(directory, "angio1", ca, "clientAuth")
    stranger_key, stranger_cert = _leaf(directory, "stranger", other_ca, "clientAuth")
    return Pki(ca[1], server_cert, server_key, client_cert, client_key, stranger_cert, stranger_key)


@pytest.fixture
def tls_listener(transactional_db, pki):
    """The listener with its plain port and a TLS port that verifies client certificates."""
    catalogue_seed(ProcedureType)
    config = server.ListenerConfig.from_settings(
        host="127.0.0.1",
        port=free_port(),
        tls_port=free_port(),
        tls_cert=str(pki.server_cert),
        tls_key=str(pki.server_key),
        tls_ca=str(pki.ca),
        tls_verify_client=True,
    )
    assert server.refusal(config) is None
    running = server.start(config)
    try:
        yield config
    finally:
        server.stop(running, grace_s=0.5)


def client_context(pki: Pki, *, cert: bool = True, stranger: bool = False) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(pki.ca))
    if cert:
        chain = (
            (pki.stranger_cert, pki.stranger_key) if stranger else (pki.client_cert, pki.client_key)
        )
        context.load_cert_chain(*map(str, chain))
    return context


def associate_tls(config, context: ssl.SSLContext, *, port: int | None = None):
    ae = AE(ae_title="ANGIO1")
    ae.acse_timeout = ae.network_timeout = 30
    ae.add_requested_context(Verification)
    ae.add_requested_context(ModalityWorklistInformationFind)
    return ae.associate(
        config.host,
        port or config.tls_port,
        ae_title=config.ae_title,
        tls_args=(context, "localhost"),
    )


def worklist_query(station: str) -> Dataset:
    query = Dataset()
    query.PatientName = ""
    step = Dataset()
    step.ScheduledStationAETitle = station
    step.ScheduledProcedureStepID = ""
    query.ScheduledProcedureStepSequence = [step]
    return query


def on_worklist(station: str) -> int:
    return Booking.objects.filter(
        station_ae_title=station, status__in=ON_WORKLIST, active=True
    ).count()


def test_pynetdicom_associates_over_tls(tls_listener, pki):
    worklist_fill(count=30, first_day=date(2026, 3, 26), seed=3, stations=2, slots_per_day=4)
    assoc = associate_tls(tls_listener, client_context(pki))
    assert assoc.is_established
    try:
        channel = assoc.dul.socket.socket
        assert channel.version() in {"TLSv1.2", "TLSv1.3"}
        assert "GCM" in channel.cipher()[0] or channel.version() == "TLSv1.3"
        assert assoc.send_c_echo().Status == 0x0000
        answers = list(assoc.send_c_find(worklist_query("STN01"), ModalityWorklistInformationFind))
        assert answers[-1][0].Status == 0x0000
        assert len(answers) - 1 == on_worklist("STN01") > 0
    finally:
        assoc.release()


def test_findscu_associates_over_tls_with_the_bcp195_profile(tls_listener, pki, tmp_path):
    worklist_fill(count=30, first_day=date(2026, 3, 26), seed=4, stations=2, slots_per_day=4)
    listener = Listener(tls_listener.host, tls_listener.tls_port, tls_listener.ae_title)
    tls = ("+tls", str(pki.client_key), str(pki.client_cert), "+cf", str(pki.ca), "+px")
    process, responses = findscu(
        listener,
        "ScheduledProcedureStepSequence[0].ScheduledStationAETitle=STN01",
        "PatientName",
        out=tmp_path / "answers",
        options=tls,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    assert len(responses) == on_worklist("STN01") > 0
    # Without the client certificate (anonymous TLS) the listener refuses the handshake.
    anonymous = ("+tla", "+cf", str(pki.ca), "+px")
    refused, none = findscu(listener, "PatientName", out=tmp_path / "anon", options=anonymous)
    assert refused.returncode != 0 and none == []


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_clients_without_a_trusted_certificate_are_refused(tls_listener, pki):
    for context in (client_context(pki, cert=False), client_context(pki, stranger=True)):
        assoc = associate_tls(tls_listener, context)
        assert not assoc.is_established
    old = client_context(pki)
    old.minimum_version = ssl.TLSVersion.TLSv1
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("ALL:@SECLEVEL=0")
    assert not associate_tls(tls_listener, old).is_established
    # Plain DICOM to the TLS port gets nowhere; the plain port still serves.
    plain = AE(ae_title="ANGIO1")
    plain.acse_timeout = plain.network_timeout = 10
    plain.add_requested_context(Verification)
    assert not plain.associate(
        tls_listener.host, tls_listener.tls_port, ae_title=tls_listener.ae_title
    ).is_established
    ok = plain.associate(tls_listener.host, tls_listener.port, ae_title=tls_listener.ae_title)
    assert ok.is_established
    ok.release()


def test_a_silent_connection_does_not_hold_up_other_tls_handshakes(tls_listener, pki):
    """The handshake runs in the connection's own thread, not in the one that accepts."""
    with socket.create_connection((tls_listener.host, tls_listener.tls_port), timeout=30):
        assoc = associate_tls(tls_listener, client_context(pki))
        assert assoc.is_established
        assoc.release()


def test_tls_settings_that_cannot_work_are_refused(pki, tmp_path):
    base = {"host": "127.0.0.1", "port": free_port(), "tls_port": free_port()}
    no_files = server.ListenerConfig.from_settings(**base)
    assert server.refusal(no_files) == server.MSG_TLS_FILES.format(port=base["tls_port"])
    files = {"tls_cert": str(pki.server_cert), "tls_key": str(pki.server_key)}
    verify_without_ca = server.ListenerConfig.from_settings(**base, **files, tls_verify_client=True)
    assert server.refusal(verify_without_ca) == server.MSG_TLS_VERIFY_NO_CA
    missing = server.ListenerConfig.from_settings(**base, **files, tls_ca=str(tmp_path / "x"))
    assert "does not exist" in (server.refusal(missing) or "")
