"""What one account can do, seen from that account: `python -m autograder.deployment.probe
ROLE [COURSE_DIR]` prints plain JSON (doctor runs it as the service's account and as a student's).

- every role: the nbgrader configuration this account's nbgrader loads (course id, exchange
  root, the exchange classes), as nbgrader's commands load it from this working folder;
- "service": whether the course's folders are writable and bubblewrap usable by this account.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

COURSE_FOLDERS = ("", "submitted", "autograded", "feedback")


def nbgrader_view() -> dict:
    from nbgrader.apps import NbGrader

    app = NbGrader()
    app.initialize(["--log-level=ERROR"])
    from nbgrader.exchange.default.exchange import Exchange

    factory = app.config.get("ExchangeFactory", {})
    return {"course_id": app.coursedir.course_id, "exchange_root": str(Exchange(config=app.config).root),
            "submit": str(factory.get("submit", "")), "fetch_feedback": str(factory.get("fetch_feedback", ""))}


def formgrader_view() -> dict:
    """The course as formgrader sees it: nbgrader's config from the Jupyter config folders and the
    working folder only (formgrader does not read the course folder's nbgrader_config.py)."""
    from nbgrader.apps import NbGrader
    from nbgrader.coursedir import CourseDirectory

    app = NbGrader()
    app.load_config_file()
    coursedir = CourseDirectory(config=app.config)
    return {"root": str(Path(coursedir.root).resolve()), "db_url": coursedir.db_url,
            "feedback_preprocessors": [str(p) for p in app.config.get("GenerateFeedback", {}).get("preprocessors", [])]}


def service_view(course_dir: Path) -> dict:
    from ..sandbox.pool import bwrap_path

    from ..nbgrader_settings import course_settings

    writable = {name or ".": os.access(course_dir / name, os.W_OK | os.X_OK)
                for name in COURSE_FOLDERS if (course_dir / name).exists()}
    try:
        gradebook = "ok" if course_settings(course_dir).gradebook_exists() else "missing"
    except Exception as exc:  # noqa: BLE001  (said by doctor, in English)
        gradebook = f"{type(exc).__name__}: {str(exc).strip()[:200]}"
    return {"writable": writable, "bwrap": bwrap_path() is not None, "gradebook": gradebook}


def main(argv: list[str]) -> int:
    role = argv[0]
    out = {"account_uid": os.getuid()}
    try:
        out["nbgrader"] = nbgrader_view()
    except Exception as exc:  # noqa: BLE001  (said by doctor, in English)
        out["nbgrader_error"] = f"{type(exc).__name__}: {exc}"
    if role == "service":
        out.update(service_view(Path(argv[1])))
    if role == "formgrader":
        out["formgrader"] = formgrader_view()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
