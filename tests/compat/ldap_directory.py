"""An OpenLDAP holding the directory of dephealth's conformance suite.

The conformance service binds as ``cn=Directory Manager`` / ``password`` (389ds' manager) and
searches ``ou=People,dc=test,dc=local`` (``conformance/stubs/ldap-stub/init.ldif``). slapd only
takes a rootdn under its database's suffix, so the manager gets a database of its own whose
suffix is that DN; anyone may read the main directory.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.servers import PrivateSlapd, _ssha

MANAGER_DN = "cn=Directory Manager"
MANAGER_PASSWORD = "password"


class ConformanceSlapd(PrivateSlapd):
    """``dc=test,dc=local`` with ``ou=People`` and ``uid=testuser``, plus the manager's bind."""

    suffix = "dc=test,dc=local"
    admin_dn = "cn=admin,dc=test,dc=local"
    people_dn = "ou=People,dc=test,dc=local"
    user_dn = "uid=testuser,ou=People,dc=test,dc=local"
    user_password = "testpassword"

    def __init__(self) -> None:
        super().__init__(ldaps=False)

    def _config(self, workdir: Path) -> str:
        manager = [
            "database mdb",
            "maxsize 1048576",
            f'suffix "{MANAGER_DN}"',
            f'rootdn "{MANAGER_DN}"',
            f"rootpw {_ssha(MANAGER_PASSWORD)}",
            f"directory {workdir}/manager",
            "dbnosync",
        ]
        return super()._config(workdir) + "\n".join(manager) + "\n"

    def _prepare(self, workdir: Path) -> None:
        (workdir / "manager").mkdir()
        super()._prepare(workdir)

    def _entries(self) -> str:
        return (
            f"dn: {self.suffix}\nobjectClass: dcObject\nobjectClass: organization\n"
            "dc: test\no: Test\n\n"
            f"dn: {self.people_dn}\nobjectClass: organizationalUnit\nou: People\n\n"
            f"dn: {self.user_dn}\nobjectClass: inetOrgPerson\nuid: testuser\ncn: Test User\n"
            f"sn: User\nuserPassword: {_ssha(self.user_password)}\n"
        )
