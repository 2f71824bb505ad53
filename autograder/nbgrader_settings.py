"""What nbgrader's own configuration says of a course: its id, where its gradebook is, where its
exchange is. Read the way nbgrader's commands read it (the system's and the user's Jupyter config
folders, then the course root's `nbgrader_config.py`), so that the kit and nbgrader never disagree
about a course; every part of the kit that opens the gradebook asks here for its URL."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CourseSettings:
    root: Path
    course_id: str
    db_url: str              # nbgrader's CourseDirectory.db_url (default: sqlite:///<root>/gradebook.db)
    exchange_root: str       # nbgrader's Exchange.root

    @property
    def sqlite_path(self) -> Path | None:
        """The gradebook's file when it is an SQLite database, else None."""
        for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
            if self.db_url.startswith(prefix):
                return Path(self.db_url.removeprefix(prefix))
        return None

    def gradebook_exists(self) -> bool:
        """A gradebook that nbgrader already made (an SQLite file, or a server database with
        nbgrader's tables)."""
        path = self.sqlite_path
        if path is not None:
            return path.is_file()
        from sqlalchemy import create_engine, inspect

        engine = create_engine(self.db_url)
        try:
            return inspect(engine).has_table("assignment")
        finally:
            engine.dispose()

    def shown_db(self) -> str:
        """The gradebook for a message: its file, or its URL without a password."""
        if self.sqlite_path is not None:
            return str(self.sqlite_path)
        from sqlalchemy.engine import make_url

        return make_url(self.db_url).render_as_string(hide_password=True)


def nbgrader_config(course_dir: str | Path):
    """The course's nbgrader configuration (traitlets' Config), as nbgrader's commands load it."""
    from nbgrader.apps import NbGrader

    app = NbGrader()
    app.initialize([f"--CourseDirectory.root={Path(course_dir).resolve()}", "--log-level=ERROR"])
    return app.config, app.coursedir


@functools.lru_cache(maxsize=16)
def course_settings(course_dir: str | Path) -> CourseSettings:
    """nbgrader's settings of the course rooted at `course_dir`."""
    config, coursedir = nbgrader_config(course_dir)
    exchange_root = config.Exchange.get("root", None) if "Exchange" in config else None
    if exchange_root is None:
        from nbgrader.exchange.default.exchange import Exchange

        exchange_root = Exchange(config=config).root
    return CourseSettings(Path(course_dir).resolve(), coursedir.course_id, coursedir.db_url, str(exchange_root))


def gradebook_url(course_dir: str | Path) -> str:
    return course_settings(course_dir).db_url
