"""Links to other archives' views of the same position, built from numbers only (no network).

The URL forms, and where each is documented:
* SIMBAD, query by coordinates (https://simbad.cds.unistra.fr/guide/sim-url.htx):
  ``/simbad/sim-coo?Coord=<ra> <dec>&Radius=<r>&Radius.unit=arcsec``.
* Gaia archive: its TAP service's synchronous query (IVOA TAP 1.1, ``/sync`` with REQUEST=doQuery,
  LANG=ADQL, FORMAT, QUERY), running the same cone query the panel runs, as CSV.
* IRSA Finder Chart, HTTP program interface
  (https://irsa.ipac.caltech.edu/applications/FinderChart/docs/finderProgramInterface.html):
  ``/cgi-bin/FinderChart/nph-finder?locstr=<ra> <dec>`` (locstr is its one required parameter).
* ESASky (``target``, ``hips``, ``fov`` in degrees) and the Legacy Surveys viewer (``ra``, ``dec``,
  ``layer``, ``zoom``): the parameters their own share links carry; no reference page for them is
  stored here, so the test checks the form these links have, not a documented one.
"""

from __future__ import annotations

from urllib.parse import urlencode

from dashboard.archive.adql import gaia_cone_query
from dashboard.config import GAIA_TAP_URL
from dashboard.core.model import Cone


def linkouts(cone: Cone) -> list[tuple[str, str]]:
    """(label, URL) for each service, every one opening ``cone``'s centre."""
    ra, dec = f"{cone.ra:.6f}", f"{cone.dec:+.6f}"
    fov_deg = max(2 * cone.radius_arcsec / 3600.0, 1 / 60)
    return [
        ("SIMBAD", "https://simbad.cds.unistra.fr/simbad/sim-coo?" + urlencode(
            {"Coord": f"{ra} {dec}", "Radius": f"{cone.radius_arcsec:g}", "Radius.unit": "arcsec"})),
        ("Gaia archive (DR3 cone, CSV)", f"{GAIA_TAP_URL}/sync?" + urlencode(
            {"REQUEST": "doQuery", "LANG": "ADQL", "FORMAT": "csv", "QUERY": gaia_cone_query(cone)})),
        ("IRSA Finder Chart", "https://irsa.ipac.caltech.edu/cgi-bin/FinderChart/nph-finder?" + urlencode(
            {"locstr": f"{ra} {dec}"})),
        ("ESASky", "https://sky.esa.int/esasky/?" + urlencode(
            {"target": f"{ra} {dec}", "hips": "AllWISE color", "fov": f"{fov_deg:.4f}"})),
        ("Legacy Surveys", "https://www.legacysurvey.org/viewer?" + urlencode(
            {"ra": ra, "dec": dec, "layer": "unwise-neo7", "zoom": "16"})),
    ]
