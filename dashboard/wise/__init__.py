"""The service layer: WISE data from text to SED, light curve and bundle. No Dash in here."""
