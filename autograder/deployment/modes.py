"""The modes of nbgrader's exchange folders on a shared machine.

nbgrader's documentation makes the exchange root writable by everyone; its release_assignment
makes the course's folders (course 0755, outbound 0755, inbound 2733: students may enter and write
but not list it; feedback 0711: pages fetched by name, not listable). The kit adds the sticky bit
to the root and to inbound, as on /tmp: without it, any student may rename or delete another
student's entry (or the course's folder) by name.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

ROOT_MODE = 0o1777
COURSE_FOLDERS = {"": 0o755, "outbound": 0o755, "inbound": 0o3733, "feedback": 0o711}
WHY = {
    "": "the course's folder: everyone enters, only its owner writes",
    "outbound": "released assignments: everyone reads, only the instructor writes",
    "inbound": "submissions: students write and enter, nobody lists, nobody renames or deletes another's entry",
    "feedback": "feedback pages: fetched by their secret name, never listed",
}


def mode_of(path: Path) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def root_problem(root: Path) -> str | None:
    mode = mode_of(root)
    if mode is None:
        return f"the exchange root {root} does not exist: create it with mode 1777 (`install -d -m 1777 {root}`)"
    if mode != ROOT_MODE:
        return (f"the exchange root {root} has mode {mode:04o}, not 1777 (everyone may create a course folder, "
                f"nobody may rename another's): `chmod 1777 {root}`")
    return None


def course_folder_problems(course: Path) -> list[str]:
    """One English line per folder of the course's exchange with another mode than nbgrader's (and
    the kit's sticky bit on inbound)."""
    problems = []
    for name, wanted in COURSE_FOLDERS.items():
        path = course / name if name else course
        mode = mode_of(path)
        if mode is not None and mode != wanted:
            problems.append(f"{path} has mode {mode:04o}, not {wanted:04o} ({WHY[name]}): `chmod {wanted:04o} {path}`")
    return problems


def repair_course_folders(course: Path) -> list[str]:
    """Put back each course folder's mode when this account owns it: one line per change, or per
    folder it cannot change."""
    lines = []
    for name, wanted in COURSE_FOLDERS.items():
        path = course / name if name else course
        mode = mode_of(path)
        if mode is None or mode == wanted:
            continue
        try:
            os.chmod(path, wanted)
            if mode | stat.S_ISVTX == wanted:
                lines.append(f"exchange: the sticky bit set on {path} (nbgrader makes it {mode:04o}): no student may "
                             "rename or delete another's entry")
            else:
                lines.append(f"exchange: {path} had mode {mode:04o}, put back to {wanted:04o} ({WHY[name]})")
        except PermissionError:
            lines.append(f"exchange: {path} has mode {mode:04o}, not {wanted:04o} ({WHY[name]}), and serve's account "
                         f"cannot change it: its owner must run `chmod {wanted:04o} {path}`")
    return lines
