"""The service layer's home before 0.8 (one flat folder). Kept only so that bundles made then still
reproduce: their ``reproduce.py`` runs ``from dashboard.wise.reproduce import main``. Nothing in
the package imports from here."""
