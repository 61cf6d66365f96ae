"""The sky context of a view: the WISE image around the target, its identification in SIMBAD and
Gaia DR3, blending in the WISE beam and proper motion. Service layer (no Dash), above ``archive`` and ``science``:

* ``clients``  — one client per outside service (IRSA SIA2 through astroquery, SIMBAD and Gaia TAP
  through pyvo), each with its own timeouts and typed ``ServiceError`` failures;
* ``context``  — fetches the three concurrently, each through its own cache entries and upstream slots;
* ``image``    — the cutout's pixels, stretch and WCS (where a sky position lands);
* ``identify`` — SIMBAD and Gaia rows with separations; the Gaia counterpart of an AllWISE source;
* ``blending`` — other sources inside the W1/W2 beam of the selected source;
* ``linkouts`` — links to other archives' views of the same position (no network needed).
"""
