"""A private OpenLDAP server on 127.0.0.1: its own configuration and database, no
system service. The LIMS login's LDAP check is tested against it.

    server = PrivateSlapd(Path("/tmp/ldap"), people={"jdoe": "secret"})
    server.start()                 # slapadd the people, then slapd on free ports
    server.url                     # ldap://127.0.0.1:PORT (StartTLS offered)
    server.ldaps_url               # ldaps://127.0.0.1:PORT2
    server.ca_file                 # the certificate of the CA that signed the server's
    server.people_dn               # ou=People,dc=example,dc=org
    server.stop()

With ``tls=False`` it offers neither StartTLS nor ``ldaps://`` (a server the LIMS must
refuse to send passwords to). The certificates (a CA of its own, the server's for
127.0.0.1 and localhost) are made with the ``openssl`` command.

Needs Debian's ``slapd`` (``slapd`` and ``slapadd``), which ``scripts/setup.sh``
installs; it starts no system server.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
from collections.abc import Mapping
from pathlib import Path

from mxgui.demo_servers.mariadb import free_tcp_port
from mxgui.demo_servers.server_process import end_process, wait_for_server

SUFFIX = "dc=example,dc=org"
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")


def _program(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not found:
        raise FileNotFoundError(
            f"{name} not found: install OpenLDAP (apt-get install slapd; scripts/setup.sh does it)"
        )
    return found


class PrivateSlapd:
    """A ``slapd`` of its own in ``base`` holding ``people`` (uid -> password, stored as
    given) below ``ou=People,dc=example,dc=org``, on 127.0.0.1:``port`` (0: a free one)."""

    def __init__(
        self, base: Path, people: Mapping[str, str], port: int = 0, tls: bool = True
    ) -> None:
        self.base = base
        self.people = dict(people)
        self.port = port or free_tcp_port()
        self.tls = tls
        self.ldaps_port = free_tcp_port() if tls else 0
        self.people_dn = f"ou=People,{SUFFIX}"
        #: the CA certificate a client trusts to check this server (with ``tls``)
        self.ca_file = base / "tls" / "ca.pem"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``ldap://127.0.0.1:PORT``."""
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        """``ldaps://127.0.0.1:PORT`` (with ``tls``)."""
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    def _make_certificates(self) -> str:
        """A CA and a server certificate signed by it (once); the slapd.conf lines."""
        folder = self.ca_file.parent
        key, certificate = folder / "server.key", folder / "server.pem"
        if not certificate.exists():
            folder.mkdir(parents=True, exist_ok=True)
            ca_key, request, names = folder / "ca.key", folder / "server.csr", folder / "san.cnf"
            names.write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\n")
            openssl = _program("openssl")
            for arguments in (
                ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
                 "-out", self.ca_file, "-days", "2", "-subj", "/CN=mxgui test CA"],
                ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request,
                 "-subj", "/CN=127.0.0.1"],
                ["x509", "-req", "-in", request, "-CA", self.ca_file, "-CAkey", ca_key,
                 "-CAcreateserial", "-out", certificate, "-days", "2", "-extfile", names],
            ):  # fmt: skip
                done = subprocess.run(
                    [openssl, *map(str, arguments)], capture_output=True, text=True, check=False
                )
                if done.returncode != 0:
                    raise RuntimeError(f"openssl {arguments[0]} failed:\n{done.stderr[-2000:]}")
        return (
            f"TLSCACertificateFile {self.ca_file}\nTLSCertificateFile {certificate}\n"
            f"TLSCertificateKeyFile {key}\n"
        )

    def _configure(self) -> Path:
        database = self.base / "db"
        database.mkdir(parents=True, exist_ok=True)
        includes = "\n".join(f"include /etc/ldap/schema/{name}.schema" for name in SCHEMAS)
        tls = self._make_certificates() if self.tls else ""
        config = self.base / "slapd.conf"
        config.write_text(
            f"""{includes}
{tls}modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {self.base / "slapd.pid"}
database mdb
maxsize 10485760
suffix "{SUFFIX}"
rootdn "cn=admin,{SUFFIX}"
directory {database}
"""
        )
        entries = [
            f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\n"
            "o: Example\n",
            f"dn: {self.people_dn}\nobjectClass: organizationalUnit\nou: People\n",
            *(
                f"dn: uid={uid},{self.people_dn}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
                f"cn: {uid}\nsn: {uid}\nuserPassword: {password}\n"
                for uid, password in self.people.items()
            ),
        ]
        ldif = self.base / "people.ldif"
        ldif.write_text("\n".join(entries))
        if not (database / "data.mdb").exists():
            done = subprocess.run(
                [_program("slapadd"), "-f", str(config), "-l", str(ldif)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"slapadd failed ({done.returncode}):\n{done.stderr[-2000:]}")
        return config

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until it accepts connections."""
        if self.running:
            return
        config = self._configure()
        listen = f"{self.url}/ {self.ldaps_url}/" if self.tls else f"{self.url}/"
        self.process = subprocess.Popen(
            [_program("slapd"), "-f", str(config), "-h", listen, "-d", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_server(
                self.process,
                self._answers,
                timeout,
                f"slapd on port {self.port}",
                lambda: f" (configuration {config})",
            )
        except (RuntimeError, TimeoutError):
            self.process = None
            raise

    def _answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        """Stop the server (SIGKILL: at once)."""
        process, self.process = self.process, None
        end_process(process, sig, timeout)
