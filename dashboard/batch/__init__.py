"""Many targets at once (service layer, no Dash), on the same pipeline as one target:

* ``targets``  — a list in (pasted text, CSV or ECSV): every line checked, names resolved a few
  at once, bad lines kept with their line number and reason;
* ``upload``   — the uploaded table (built from parsed numbers, never from the text) and the
  TAP_UPLOAD join, one query per table per chunk, run as IRSA asynchronous (UWS) jobs;
* ``run``      — chunks, their cache entries, retries, cancel; each target's rows split off and
  analysed by ``science.analysis.analyze`` exactly as a single view;
* ``summary``  — one row per target (``summary.csv``);
* ``bundle``   — the batch bundle.
"""
