"""A file readable by one more account: a POSIX access ACL (`setfacl -m u:NAME:r`), written as
the kernel's `system.posix_acl_access` extended attribute (no `acl` package needed). The file's
owner sets it; its group keeps read, others get nothing."""
from __future__ import annotations

import os
import pwd
import struct

_VERSION = 2
_USER_OBJ, _USER, _GROUP_OBJ, _MASK, _OTHER = 0x01, 0x02, 0x04, 0x10, 0x20
_UNDEFINED = 0xFFFFFFFF
_R, _W = 4, 2


def _entry(tag: int, perm: int, ident: int = _UNDEFINED) -> bytes:
    return struct.pack("<HHI", tag, perm, ident)


def account_uid(name: str) -> int | None:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def readable_by(path: str | os.PathLike, uid: int) -> None:
    """Mode 0640 and an ACL granting `uid` read: the owner, the file's group and that account."""
    os.chmod(path, 0o640)
    if uid == os.stat(path).st_uid:
        return
    acl = struct.pack("<I", _VERSION) + _entry(_USER_OBJ, _R | _W) + _entry(_USER, _R, uid) + \
        _entry(_GROUP_OBJ, _R) + _entry(_MASK, _R) + _entry(_OTHER, 0)
    os.setxattr(path, "system.posix_acl_access", acl)


def private_to(path: str | os.PathLike, account: str) -> bool:
    """`path` readable by the account named `account` and the file's group only. False (the file
    left as it was) when there is no such account: every student then shares one account (tests,
    single-user machines), where nbgrader's own modes apply."""
    uid = account_uid(account)
    if uid is None:
        return False
    readable_by(path, uid)
    return True
