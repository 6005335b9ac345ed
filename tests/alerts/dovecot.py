"""A real IMAP server for the tests: Debian's Dovecot (`apt-get install dovecot-imapd`), one
instance per test on a loopback port, with its own configuration, users and maildirs in a
temporary folder. Plain IMAP, and IMAPS with a self-signed certificate made for the test."""

import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.processes import free_port

DOVECOT = "/usr/sbin/dovecot"
PASSWORD = "s3cret-pass"


def require_dovecot() -> None:
    """Fail in CI (.ci/run installs it), skip elsewhere, when Dovecot is not installed."""
    if not Path(DOVECOT).exists():
        message = f"Dovecot is not installed at {DOVECOT} (apt-get install dovecot-imapd)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


class Dovecot:
    def __init__(self, *, tls: bool = False):
        require_dovecot()
        # Dovecot's login processes must not run as root: under root they run as the users
        # the Debian package creates, and then every folder on their way must be open to them.
        self.root = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.tls = tls
        if os.geteuid() == 0:
            login, internal, mail = "dovenull", "dovecot", "dovecot"
        else:
            login = internal = mail = pwd.getpwuid(os.geteuid()).pw_name
        (self.root / "mail").mkdir()
        shutil.chown(self.root / "mail", mail, mail)
        (self.root / "users").write_text(f"help:{{PLAIN}}{PASSWORD}\n")
        ssl = "no"
        if tls:
            self._certificate()
            ssl = f"required\nssl_cert = <{self.root}/cert.pem\nssl_key = <{self.root}/key.pem"
        listener = "imaps" if tls else "imap"
        other = "imap" if tls else "imaps"
        (self.root / "dovecot.conf").write_text(
            f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
instance_name = incidentdesk-test-{self.port}
protocols = imap
listen = 127.0.0.1
ssl = {ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login}
default_internal_user = {internal}
default_internal_group = {internal}
first_valid_uid = 0
mail_location = maildir:{self.root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/users
}}
userdb {{
  driver = static
  args = uid={mail} gid={mail} home={self.root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener {listener} {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener {other} {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
        )
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait()

    def _certificate(self) -> None:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", str(self.root / "key.pem"), "-out", str(self.root / "cert.pem")],
            check=True, capture_output=True,
        )  # fmt: skip

    @property
    def certificate(self) -> str:
        return str(self.root / "cert.pem")

    def _wait(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Dovecot stopped: {self.log()}")
            try:
                self.client().logout()
                return
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.1)
        raise RuntimeError(f"Dovecot did not answer: {self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def url(self, *, password: str = PASSWORD, folder: str = "INBOX") -> str:
        scheme = "imaps" if self.tls else "imap"
        return f"{scheme}://help:{password}@127.0.0.1:{self.port}/{folder}"

    def client(self) -> imaplib.IMAP4:
        if self.tls:
            import ssl

            context = ssl.create_default_context(cafile=self.certificate)
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=context)
        else:
            client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login("help", PASSWORD)
        return client

    def deliver(self, *messages: bytes) -> None:
        """Put messages in the inbox, unseen, as a mail server would."""
        client = self.client()
        for raw in messages:
            status, _ = client.append("INBOX", None, None, raw)
            assert status == "OK"
        client.logout()

    def flags(self) -> list[set[str]]:
        """Each inbox message's flags, oldest first."""
        client = self.client()
        client.select("INBOX", readonly=True)
        _, data = client.uid("FETCH", "1:*", "(FLAGS)")
        client.logout()
        found = []
        for line in data:
            if not line:
                continue
            text = line.decode() if isinstance(line, bytes) else line[0].decode()
            flags = text.split("FLAGS (", 1)[1].split(")", 1)[0]
            found.append(set(flags.split()))
        return found

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
