"""The group's named target lists: add the current view's target from the page, open a list as a
batch (its targets in the batch list's own format), export it as CSV."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard.group.models import ListItem, TargetList
from dashboard.group.notes import NoteRefused, now

MAX_NAME = 100
MAX_ITEMS = 10_000


@dataclass(frozen=True)
class Item:
    target: str
    ra: float
    dec: float
    added_by: str
    added: str


class ListStore:
    def __init__(self, made: Engine) -> None:
        self.engine = made

    def names(self) -> list[str]:
        with Session(self.engine) as session:
            return list(session.scalars(select(TargetList.name).order_by(TargetList.name)))

    def add(self, name: str, target: str, ra: float, dec: float, author: str) -> bool:
        """Add a target to the list ``name`` (made if new); False when it was already there."""
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise NoteRefused(f"a list's name is 1 to {MAX_NAME} characters")
        with Session(self.engine) as session, session.begin():
            found = session.scalars(select(TargetList).where(TargetList.name == name)).first()
            if found is None:
                found = TargetList(name=name, created_by=author, created=now())
                session.add(found)
                session.flush()
            held = session.scalar(select(func.count()).select_from(ListItem).where(ListItem.list_id == found.id))
            if (held or 0) >= MAX_ITEMS:
                raise NoteRefused(f"a list holds at most {MAX_ITEMS:,} targets")
            if session.scalars(select(ListItem).where(ListItem.list_id == found.id,
                                                      ListItem.target == target)).first():
                return False
            session.add(ListItem(list_id=found.id, target=target, ra=ra, dec=dec, added_by=author, added=now()))
        return True

    def items(self, name: str) -> list[Item]:
        with Session(self.engine) as session:
            rows = session.execute(select(ListItem).join(TargetList).where(TargetList.name == name)
                                   .order_by(ListItem.id)).scalars().all()
            return [Item(r.target, r.ra, r.dec, r.added_by, r.added) for r in rows]

    def remove(self, name: str, target: str) -> None:
        with Session(self.engine) as session, session.begin():
            found = session.scalars(select(ListItem).join(TargetList).where(TargetList.name == name,
                                                                            ListItem.target == target)).first()
            if found is not None:
                session.delete(found)


def batch_text(items: list[Item]) -> str:
    """The list as a batch list (``batch/targets.py``'s CSV form): each target's coordinates as the
    position, its name in the list as the id (so the summary names it)."""
    return "target,id\n" + "".join(f"{i.ra:.7f} {i.dec:+.7f},{csv_cell(i.target)}\n" for i in items)


def csv_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP's CSV injection advice: a leading
    =, +, -, @, tab or carriage return gets a ' before it), quoted as RFC 4180 says."""
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    if any(c in text for c in (",", '"', "\n", "\r")):
        text = '"' + text.replace('"', '""') + '"'
    return text


def export_csv(items: list[Item], tags: list[list[str]]) -> str:
    lines = ["target,ra,dec,added_by,added,tags"]
    for item, mine in zip(items, tags, strict=True):
        lines.append(",".join(csv_cell(v) for v in (item.target, f"{item.ra:.7f}", f"{item.dec:+.7f}", item.added_by,
                                                    item.added, ";".join(mine))))
    return "\n".join(lines) + "\n"
