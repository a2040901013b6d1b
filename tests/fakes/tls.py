"""A throwaway certificate authority and a server certificate for 127.0.0.1 / localhost.

Emulators of HTTPS-only services (fal_client hard-codes https://) serve with cert.pem/key.pem; clients
trust them through SSL_CERT_FILE, which httpx reads each time it builds a client. Point SSL_CERT_FILE
at bundle.pem (our CA plus the roots that were trusted before), not ca.pem, so that replacing the
variable for the whole test process does not stop other TLS clients from verifying their peers.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


class TLSFiles(NamedTuple):
    ca: Path  # the CA certificate alone
    cert: Path  # server certificate (SAN: IP 127.0.0.1, DNS localhost)
    key: Path  # server private key, unencrypted
    bundle: Path  # ca + previously trusted roots: the value for SSL_CERT_FILE


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _previous_roots() -> bytes:
    """The roots this process trusted before SSL_CERT_FILE is replaced (env first, as httpx does)."""
    path = os.environ.get("SSL_CERT_FILE")
    if not path or not os.path.isfile(path):
        try:
            import certifi

            path = certifi.where()
        except ImportError:
            return b""
    return Path(path).read_bytes()


def make_tls_files(folder: str | os.PathLike[str], hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> TLSFiles:
    """Write ca.pem, cert.pem, key.pem and bundle.pem into `folder` and return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    # Back-date a little so clock skew between threads/containers never makes the cert "not yet valid".
    not_before, not_after = now - dt.timedelta(days=1), now + dt.timedelta(days=30)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Palett test CA"))
        .issuer_name(_name("Palett test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    san: list[x509.GeneralName] = []
    for host in hosts:
        try:
            san.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            san.append(x509.DNSName(host))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        # Python 3.13+ verifies strictly (VERIFY_X509_STRICT) and wants the key identifiers.
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    files = TLSFiles(folder / "ca.pem", folder / "cert.pem", folder / "key.pem", folder / "bundle.pem")
    files.ca.write_bytes(_pem(ca_cert))
    files.cert.write_bytes(_pem(cert))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    files.bundle.write_bytes(_pem(ca_cert) + b"\n" + _previous_roots())
    return files
