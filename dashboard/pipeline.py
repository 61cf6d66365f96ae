"""The one pipeline: text -> target -> cone -> fetched tables (``observe``) -> what the user
reads (``view``). The page, the CLI, the bundle route and the background worker call only
these two, so every path sees the same data the same way."""

from __future__ import annotations

from dataclasses import dataclass, replace

from dashboard.archive import offline as archive
from dashboard.archive.fetch import Progress
from dashboard.archive.service import build_fetcher
from dashboard.archive.sesame import SesameResolver
from dashboard.config import Settings
from dashboard.core.model import Cone, Observations, Target
from dashboard.core.tables import tables_for
from dashboard.core.targets import parse_radius, parse_target
from dashboard.science.analysis import AnalysisParams, View, analyze
from dashboard.science.gaia_photometry import GaiaPhotometry
from dashboard.sky.context import SkyContext, fetch_context
from dashboard.sky.evidence import VisitEvidence, gather
from dashboard.sky.identify import motions


@dataclass(frozen=True)
class Observed:
    """A target as understood, and everything fetched for its cone."""

    target: Target
    observations: Observations

    @property
    def cone(self) -> Cone:
        return self.observations.cone


def resolve_target(text: str, settings: Settings) -> Target:
    """User text -> Target; names resolve online unless offline or disabled."""
    online = settings.resolve_names_online and not settings.offline
    resolver = SesameResolver(settings.sesame_url, settings.sesame_timeout_s) if online else None
    return parse_target(text, aliases=archive.aliases(), resolver=resolver)


def check_target_text(text: str, settings: Settings) -> None:
    """Refuse text that is no target at once, without the network: a name is resolved later,
    in the background fetch (after the rate limit counted it), never in a page request."""
    online = settings.resolve_names_online and not settings.offline
    parse_target(text, aliases=archive.aliases(), resolver=(lambda _name: (0.0, 0.0)) if online else None)


def make_cone(target: Target, radius: object, settings: Settings) -> Cone:
    return Cone(target.ra, target.dec, parse_radius(radius, settings.max_radius_arcsec))


def observe(text: str, radius: object, settings: Settings, *, progress: Progress | None = None,
            add: tuple[str, ...] = ()) -> Observed:
    """Resolve ``text``, validate ``radius`` (arcsec) and fetch the three tables, and the tables
    ``add`` asks for (``core/tables.ADDED``: "psr", "catwise", "unwise").

    Raises ``TargetError`` for input it cannot read; table failures travel inside
    ``Observations.failures`` as typed errors."""
    target = resolve_target(text, settings)
    cone = make_cone(target, radius, settings)
    return Observed(target, build_fetcher(settings).fetch(cone, tables=tables_for(add), progress=progress))


def view(observed: Observed, params: AnalysisParams) -> View:
    """Selection, cuts, SED and light curve for one set of view parameters."""
    return analyze(observed.target, observed.observations, params)


def sky_context(observed: Observed, band: str, settings: Settings) -> SkyContext:
    """The image, SIMBAD and Gaia around the observed cone (each may fail alone)."""
    return fetch_context(observed.cone, band, settings)


def with_sky(params: AnalysisParams, context: SkyContext | None) -> AnalysisParams:
    """``params`` with what the sky context's Gaia reply gives the view: the astrometry the epoch
    match may use, and the photometry of the selected source's counterpart (or why there is none)."""
    if context is None:
        return params
    gaia = context.rows("gaia")
    failure = context.failures.get("gaia")
    photometry = GaiaPhotometry.from_rows(gaia, failure.data_message if failure else "")
    return replace(params, gaia=photometry, counterparts=motions(gaia) if gaia is not None else params.counterparts)


def bundle_evidence(shown: View, asked: bool, visit: int | None, reference: int | None,
                    settings: Settings) -> VisitEvidence | None:
    """The visit's frames a bundle holds when its view asks for them (URL ``frames=1`` with a
    ``visit``): the chosen visit's and the reference's, no strip, through the frames' cache. One
    definition for ``/bundle.zip`` and ``bundle --url`` (the same bytes)."""
    if not asked or visit is None:
        return None
    return gather(shown, visit, reference, settings, strip=False)
