"""The group's judgement on its server: who is signed in and a member, the notes and tags they
keep on targets, and their shared target lists, in a real database (SQLAlchemy 2, Alembic).

No Dash and no Flask here: ``web/auth.py`` reads identities from requests, ``ui/notes.py`` draws
the panel; this layer stores and answers. Off by default (``WISE_AUTH=none``): then nothing is
stored and nothing is shown.

* ``identity.py``: an identity, the membership rule (``WISE_MEMBERS``, ``WISE_GROUP_CLAIM``), the
  trusted proxies' addresses (``WISE_TRUSTED_PROXIES``).
* ``db.py``: the engine (SQLite in ``WISE_DATA_DIR`` with WAL, or ``WISE_DATABASE_URL``) and the
  migrations to head (``migrations/``).
* ``models.py``: the tables.
* ``notes.py``: notes and tags per target, every edit a new version, deletions undoable.
* ``lists.py``: named target lists.
* ``backup.py``: ``notes export`` / ``notes import`` as JSON lines.
"""
