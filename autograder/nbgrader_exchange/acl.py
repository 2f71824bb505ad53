"""Files readable by one more account or group: POSIX access ACLs (`setfacl -m u:NAME:r`), written
as the kernel's `system.posix_acl_access` extended attribute (no `acl` package needed). Only a
file's owner (or root) may set them."""
from __future__ import annotations

import os
import pwd
import stat
import struct

_VERSION = 2
_USER_OBJ, _USER, _GROUP_OBJ, _GROUP, _MASK, _OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
_UNDEFINED = 0xFFFFFFFF
R, W, X = 4, 2, 1


def _entry(tag: int, perm: int, ident: int = _UNDEFINED) -> bytes:
    return struct.pack("<HHI", tag, perm, ident)


def set_acl(path: str | os.PathLike, mode: int, users: dict[int, int] = {}, groups: dict[int, int] = {}) -> None:  # noqa: B006
    """`mode`'s owner, group and other permissions, plus `users` and `groups` ({id: R|W|X})."""
    os.chmod(path, mode)
    owner, group, other = (mode >> 6) & 7, (mode >> 3) & 7, mode & 7
    extra = b"".join(_entry(_USER, p, i) for i, p in sorted(users.items())) + \
        b"".join(_entry(_GROUP, p, i) for i, p in sorted(groups.items()))
    if not extra:
        return
    mask = group
    for p in (*users.values(), *groups.values()):
        mask |= p
    acl = struct.pack("<I", _VERSION) + _entry(_USER_OBJ, owner) + extra[:8 * len(users)] + \
        _entry(_GROUP_OBJ, group) + extra[8 * len(users):] + _entry(_MASK, mask) + _entry(_OTHER, other)
    os.setxattr(path, "system.posix_acl_access", acl)


def account_uid(name: str) -> int | None:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def readable_by(path: str | os.PathLike, uid: int) -> None:
    """Mode 0640 and read for `uid`: the owner, the file's group and that account."""
    set_acl(path, 0o640, users={} if uid == os.stat(path).st_uid else {uid: R})


def private_to(path: str | os.PathLike, account: str) -> bool:
    """`path` readable by the account named `account` and the file's group only. False (the file
    left as it was) when there is no such account: every student then shares one account (tests,
    single-user machines), where nbgrader's own modes apply."""
    uid = account_uid(account)
    if uid is None:
        return False
    readable_by(path, uid)
    return True


def tree_for_group(top: str | os.PathLike, gid: int, file_mode: int, folder_mode: int) -> None:
    """Every file and folder under `top` (links untouched) with these modes, readable (folders:
    enterable) by group `gid` whatever group each file was created with."""
    for dirpath, dirnames, filenames in os.walk(top):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                set_acl(path, file_mode, groups={gid: R})
        for name in dirnames:
            path = os.path.join(dirpath, name)
            if stat.S_ISDIR(os.lstat(path).st_mode):
                set_acl(path, folder_mode, groups={gid: R | X})
    set_acl(top, folder_mode, groups={gid: R | W | X})
