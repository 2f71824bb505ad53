"""`python -m autograder doctor`: is this course ready for a shared JupyterHub? One line per
check, in English, with what to run when it is not; exit 1 when anything must be fixed.

Run it from the course root as the account that runs serve, or as root with `--account NAME`
(and `--student NAME` to check what a student's account sees). See docs/deploy.md.
"""
from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..nbgrader_exchange.acl import account_uid
from ..nbgrader_settings import CourseSettings, course_settings, nbgrader_config
from .modes import course_folder_problems, mode_of, root_problem

KIT_SUBMIT = "autograder.nbgrader_exchange.PrivateSubmit"
KIT_FETCH_FEEDBACK = "autograder.nbgrader_exchange.FetchFeedbackWithSummary"


@dataclass
class Finding:
    ok: bool
    text: str


def _ok(text: str) -> Finding:
    return Finding(True, text)


def _fix(text: str) -> Finding:
    return Finding(False, text)


def _closed_ancestor(path: Path) -> Path | None:
    """The first folder above `path` that other accounts cannot enter, or None."""
    for folder in reversed(path.parents):
        mode = mode_of(folder)
        if mode is not None and not mode & stat.S_IXOTH:
            return folder
    return None


def check_kit_python() -> Finding:
    exe = Path(sys.executable)
    for path in (exe, Path(os.path.realpath(exe)), Path(sys.prefix), Path(os.path.realpath(sys.base_prefix))):
        closed = _closed_ancestor(path)
        if closed is not None:
            return _fix(f"the kit's Python {exe} cannot be run by other accounts: {closed} is mode "
                        f"{mode_of(closed):04o}. Students' servers and serve's account need it: install the kit with "
                        "deploy/install.sh (a venv on Debian's /usr/bin/python3.11 under /opt)")
    return _ok(f"the kit's Python can be run by every account ({exe})")


def check_course_privacy(settings: CourseSettings) -> list[Finding]:
    root, found = settings.root, []
    mode = mode_of(root)
    if mode is not None and mode & (stat.S_IROTH | stat.S_IXOTH):
        found.append(_fix(f"the course folder {root} is mode {mode:04o}: other accounts can enter it and read source/ "
                          f"(the solutions), autograded/ and the gradebook. `chmod 0700 {root}` (0750 with a graders "
                          "group)"))
    else:
        found.append(_ok(f"the course folder {root} is closed to other accounts"))
    db = settings.sqlite_path
    if db is not None and db.exists() and mode_of(db) & stat.S_IROTH and _closed_ancestor(db) is None:
        found.append(_fix(f"the gradebook {db} is readable by every account: `chmod 0600 {db}`"))
    return found


def check_acls(root: Path) -> Finding:
    """The kit's private submissions and feedback pages are readable by the instructor's group and
    the student through POSIX ACLs: the exchange's filesystem must take them."""
    import tempfile

    from ..nbgrader_exchange.acl import R, set_acl

    try:
        with tempfile.NamedTemporaryFile(dir=root, prefix=".kit-doctor-") as probe:
            set_acl(probe.name, 0o640, groups={os.getgid(): R})
    except OSError as exc:
        return _fix(f"the filesystem of {root} does not take POSIX ACLs ({exc.strerror}): students' submissions would "
                    "be unreadable to serve. Mount it with ACLs (ext4, XFS and tmpfs have them; NFS needs NFSv4 ACLs)")
    return _ok(f"the filesystem of {root} takes the POSIX ACLs of private submissions and feedback")


def check_exchange(settings: CourseSettings, account: str) -> list[Finding]:
    root = Path(settings.exchange_root)
    problem = root_problem(root)
    if problem:
        return [_fix(problem)]
    found = [_ok(f"the exchange root {root} is mode 1777"), check_acls(root)]
    course = root / settings.course_id
    if not course.is_dir():
        found.append(_ok(f"no assignment released yet ({course} does not exist): nbgrader release_assignment, run as "
                         f"{account}, makes it"))
        return found
    owner = pwd.getpwuid(os.stat(course).st_uid).pw_name
    if owner != account:
        found.append(_fix(f"{course} is owned by {owner}, not by serve's account {account}: release assignments as "
                          f"{account} (`chown -R {account} {course}`)"))
    problems = course_folder_problems(course)
    found += [_fix(p) for p in problems] or [_ok("the course's exchange folders have nbgrader's modes (inbound 3733, "
                                                  "feedback 0711, outbound 0755)")]
    inbound = course / "inbound"
    if inbound.is_dir():
        group = grp.getgrgid(os.stat(inbound).st_gid)
        primary = account_uid(account) is not None and pwd.getpwnam(account).pw_gid == group.gr_gid
        if account not in group.gr_mem and not primary:
            found.append(_fix(f"{inbound} belongs to group {group.gr_name}, which {account} is not in: the students' "
                              f"private submissions (mode 0640, that group) would be unreadable to serve. "
                              f"`chgrp {account} {inbound}` or add {account} to {group.gr_name}"))
    return found


def _probe(role: str, account: str | None, cwd: Path, course_dir: Path | None = None) -> dict:
    """The probe's answer, run as `account` (root may run it as anyone) or as this account."""
    args = [sys.executable, "-m", "autograder.deployment.probe", role] + ([str(course_dir)] if course_dir else [])
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    if account is not None and account != pwd.getpwuid(os.getuid()).pw_name:
        entry = pwd.getpwnam(account)
        env["HOME"] = entry.pw_dir
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"   # sbin: not on every PATH
        args = [runuser, "-u", account, "--", "env", *[f"{k}={v}" for k, v in env.items()], *args]
    else:
        env["HOME"] = os.environ.get("HOME", "/") if role == "service" else str(cwd)
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": (done.stderr or done.stdout).strip()[-400:] or f"exit {done.returncode}"}


def check_service_account(settings: CourseSettings, account: str) -> list[Finding]:
    seen = _probe("service", account, settings.root, settings.root)
    if "error" in seen:
        return [_fix(f"the kit cannot run as {account} here: {seen['error']}")]
    found = [check_gradebook(settings, seen, account)]
    closed = [name for name, ok in seen.get("writable", {}).items() if not ok]
    found.append(_fix(f"{account} cannot write in {', '.join(closed)} of {settings.root}: `chown -R {account} "
                      f"{settings.root}`") if closed else _ok(f"{account} can write the course's folders"))
    found.append(_ok(f"bubblewrap works for {account}: student code is isolated") if seen.get("bwrap") else
                 _fix(f"bubblewrap cannot make its namespaces as {account}: student code would run without isolation. "
                      "Install Debian's bubblewrap, and allow unprivileged user namespaces "
                      "(sysctl kernel.unprivileged_userns_clone=1)"))
    return found


def check_formgrader(settings: CourseSettings, account: str) -> Finding:
    """formgrader, in the account's server (started in its home), must see this course: its root,
    its gradebook, its feedback preprocessors."""
    if account_uid(account) is None:
        return _fix(f"no account {account}")
    home = Path(pwd.getpwnam(account).pw_dir)
    seen = _probe("formgrader", account, home if home.is_dir() else settings.root)
    if "error" in seen or "formgrader" not in seen:
        return _fix(f"nbgrader's config cannot be read as {account}: {seen.get('error') or seen.get('nbgrader_error')}")
    view = seen["formgrader"]
    wrong = [what for what, ok in (("root", view["root"] == str(settings.root)),
                                   ("gradebook", view["db_url"] == settings.db_url),
                                   ("feedback preprocessors", any("HideHiddenTests" in p
                                                                  for p in view["feedback_preprocessors"])))
             if not ok]
    if wrong:
        return _fix(f"formgrader, in {account}'s server, would not use this course's {', '.join(wrong)} (it reads "
                    f"~{account}/.jupyter/nbgrader_config.py, not the course's): put "
                    f"`load_subconfig(\"{settings.root}/nbgrader_config.py\")` in it (deploy/setup-course.sh does)")
    return _ok(f"formgrader, in {account}'s server, uses this course (its root, gradebook and feedback pages)")


def check_students_config(settings: CourseSettings, student: str | None) -> list[Finding]:
    """What a student's nbgrader loads (a student account's, or an account with no config of its
    own: an empty home, the root folder as working folder) against the instructor's."""
    if student is not None:
        seen = _probe("student", student, Path(pwd.getpwnam(student).pw_dir))
        who = f"student account {student}"
    else:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="kit-doctor-") as home:
            os.chmod(home, 0o755)
            seen = _probe("student", None, Path(home))
        who = "a student (no config of their own)"
    if "error" in seen or "nbgrader_error" in seen:
        return [_fix(f"nbgrader cannot load its configuration as {who}: {seen.get('error') or seen['nbgrader_error']}")]
    view, found = seen["nbgrader"], []
    for key, mine in (("course_id", settings.course_id), ("exchange_root", settings.exchange_root)):
        theirs = view.get(key)
        if theirs != mine:
            found.append(_fix(f"{who} has {key} {theirs!r}, the course {mine!r}: set the same in the shared "
                              "environment's etc/jupyter/nbgrader_config.py (deploy/install.sh writes it)"))
    if not found:
        found.append(_ok(f"{who} sees course {settings.course_id!r} and exchange {settings.exchange_root}"))
    for key, kit in (("submit", KIT_SUBMIT), ("fetch_feedback", KIT_FETCH_FEEDBACK)):
        if view.get(key) != kit:
            found.append(_fix(f"{who}'s ExchangeFactory.{key} is {view.get(key) or 'nbgrader default'!r}, not {kit}: "
                              + ("submissions would be readable by any account that learns their name"
                                 if key == "submit" else "the kit's summary page would not reach the student")))
    return found


def check_feedback_config(course_dir: Path) -> Finding:
    config, _ = nbgrader_config(course_dir)
    preprocessors = [str(p) for p in config.get("GenerateFeedback", {}).get("preprocessors", [])]
    if not any("HideHiddenTests" in p for p in preprocessors):
        return _fix("the course's nbgrader_config.py does not add autograder.hidden_tests.HideHiddenTests to "
                    "c.GenerateFeedback.preprocessors: formgrader's Generate Feedback would show hidden test source")
    return _ok("nbgrader's feedback pages hide hidden test source (GenerateFeedback.preprocessors)")


def check_gradebook(settings: CourseSettings, seen: dict, account: str) -> Finding:
    """From the service account's probe: the gradebook is opened as that account (a PostgreSQL
    gradebook with peer authentication admits that account only)."""
    state = seen.get("gradebook")
    if state == "ok":
        return _ok(f"the gradebook is at {settings.shown_db()}, opened as {account}")
    if state == "missing":
        return _fix(f"no gradebook at {settings.shown_db()}: run nbgrader generate_assignment ASSIGNMENT as {account}")
    return _fix(f"the gradebook {settings.shown_db()} cannot be opened as {account}: {state}")


def check_released_courses(settings: CourseSettings) -> list[Finding]:
    from ..course import CourseError, load
    from ..service.exchange import ExchangeLayout

    found = []
    for assignment in ExchangeLayout(settings).released():
        try:
            load(assignment)
            found.append(_ok(f"released {assignment}: the kit grades it"))
        except (CourseError, ModuleNotFoundError):
            found.append(_fix(f"released {assignment}, but the kit has no course for it (autograder/courses/"
                              f"{assignment}): serve will not grade it (nbgrader autograde will)"))
    return found


def check_redis(url: str) -> Finding:
    from ..service.queue import REDIS_ERRORS, connect

    try:
        connect(url).ping()
        return _ok(f"Redis answers at {url}")
    except REDIS_ERRORS as exc:
        return _fix(f"Redis unreachable at {url} ({type(exc).__name__}): start it (systemctl start redis-server)")


def diagnose(course_dir: Path, account: str, student: str | None, queue: str | None) -> list[Finding]:
    settings = course_settings(course_dir)
    if not (course_dir / "nbgrader_config.py").is_file():
        return [_fix(f"no nbgrader_config.py in {course_dir}: run doctor from the course root, or pass --course-dir")]
    if not settings.course_id:
        return [_fix("no course id: set c.CourseDirectory.course_id in nbgrader_config.py")]
    findings = [check_kit_python(), *check_course_privacy(settings), check_feedback_config(course_dir), *check_exchange(settings, account),
                *check_service_account(settings, account), check_formgrader(settings, account),
                *check_students_config(settings, student),
                *check_released_courses(settings)]
    if queue:
        findings.append(check_redis(queue))
    return findings


def cmd_doctor(args) -> int:
    course_dir = Path(args.course_dir).resolve()
    account = args.account or pwd.getpwuid(os.getuid()).pw_name
    if args.account and args.account != pwd.getpwuid(os.getuid()).pw_name and os.getuid() != 0:
        print("error: --account needs root (the probe runs as that account)", file=sys.stderr)
        return 2
    findings = diagnose(course_dir, account, args.student, args.queue)
    print(f"doctor: course at {course_dir}, serve's account {account}")
    for finding in findings:
        print(f"  {'ok ' if finding.ok else 'FIX'}  {finding.text}")
    bad = sum(not f.ok for f in findings)
    print(f"{bad} thing(s) to fix" if bad else "ready")
    return 1 if bad else 0


def add_subcommand(sub) -> None:
    p = sub.add_parser("doctor", help="check a shared-JupyterHub deployment of the course; say what to fix")
    p.add_argument("--account", default=None, help="the account that runs serve (default: this one; others need root)")
    p.add_argument("--student", default=None, help="also check what this student account's nbgrader sees (root)")
    p.add_argument("--queue", default=None, metavar="redis://HOST:PORT/N", help="check that this Redis answers")
    p.set_defaults(func=cmd_doctor)
