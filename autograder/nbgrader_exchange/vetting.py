"""Whether an inbound entry may be collected: who owns it and what it holds, read without
following a link or opening a file. A code, never a sentence: the callers word it."""
from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

ENTRY_NOT_A_FOLDER = "entry_not_a_folder"     # the entry is a link, a file, a pipe...
NOT_OWNER = "not_owner"                       # owned by an account other than the student it names
LINK_INSIDE = "link_inside"                   # a symbolic link among its files
SPECIAL_FILE = "special_file"                 # a pipe, a socket, a device among its files
FOREIGN_FILE = "foreign_file"                 # a file owned by another account than the entry's
TOO_MANY_FILES = "too_many_files"

MAX_FILES = 500

ENGLISH = {
    ENTRY_NOT_A_FOLDER: "the entry is not a folder (a symbolic link or a special file)",
    NOT_OWNER: "the entry is owned by account {owner!r}, not by the student it names",
    LINK_INSIDE: "it holds a symbolic link",
    SPECIAL_FILE: "it holds a file that is not a regular file (a pipe, a socket, a device)",
    FOREIGN_FILE: "it holds a file owned by another account ({owner!r})",
    TOO_MANY_FILES: f"it holds more than {MAX_FILES} files",
}
FRENCH = {
    ENTRY_NOT_A_FOLDER: "ce rendu n'est pas un dossier ordinaire",
    NOT_OWNER: "ce rendu a été déposé par un autre compte que celui de l'étudiant qu'il nomme",
    LINK_INSIDE: "ce rendu contient un lien symbolique",
    SPECIAL_FILE: "ce rendu contient un fichier spécial (tube, socket ou périphérique)",
    FOREIGN_FILE: "ce rendu contient un fichier appartenant à un autre compte",
    TOO_MANY_FILES: f"ce rendu contient plus de {MAX_FILES} fichiers",
}


def owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def entry_problem(folder: str | os.PathLike, student: str, must_own: bool) -> tuple[str, str] | None:
    """(code, the owner involved) when the entry must not be collected, else None. Links and
    special files are always refused (the instructor's account would follow a link to files
    only it can read); ownership is checked when `must_own` (one Unix account per student)."""
    try:
        top = os.lstat(folder)
    except OSError:
        return None   # gone: nothing to collect, nothing to refuse
    if not stat.S_ISDIR(top.st_mode):
        return ENTRY_NOT_A_FOLDER, owner_name(top.st_uid)
    if must_own and owner_name(top.st_uid) != student:
        return NOT_OWNER, owner_name(top.st_uid)
    count = 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            count += 1
            if count > MAX_FILES:
                return TOO_MANY_FILES, ""
            try:
                info = os.lstat(Path(dirpath) / name)
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode):
                return LINK_INSIDE, owner_name(info.st_uid)
            if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
                return SPECIAL_FILE, owner_name(info.st_uid)
            if must_own and info.st_uid != top.st_uid:
                return FOREIGN_FILE, owner_name(info.st_uid)
    return None


def read_small_file(path: str | os.PathLike, limit: int = 4096) -> str | None:
    """The text of a small regular file, opened without following a link nor blocking on a pipe;
    None when it is not one."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        return os.read(fd, limit).decode("utf-8", errors="replace")
    finally:
        os.close(fd)
