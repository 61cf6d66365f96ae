"""What to cite and acknowledge when using this data: one place, used by the bundle and the page."""

from __future__ import annotations

ACKNOWLEDGEMENTS = {
    "WISE": ("This publication makes use of data products from the Wide-field Infrared Survey Explorer, which is "
             "a joint project of the University of California, Los Angeles, and the Jet Propulsion "
             "Laboratory/California Institute of Technology, funded by the National Aeronautics and Space "
             "Administration."),
    "NEOWISE": ("This publication also makes use of data products from NEOWISE, which is a project of the Jet "
                "Propulsion Laboratory/California Institute of Technology, funded by the Planetary Science Division "
                "of the National Aeronautics and Space Administration."),
    "IRSA": ("This research has made use of the NASA/IPAC Infrared Science Archive, which is funded by the National "
             "Aeronautics and Space Administration and operated by the California Institute of Technology."),
}

#: (key, short text) in the order they appear in the manifest.
CITATIONS = [
    ("2010AJ....140.1868W", "Wright et al. 2010, AJ 140, 1868: the WISE mission"),
    ("2011ApJ...731...53M", "Mainzer et al. 2011, ApJ 731, 53: NEOWISE"),
    ("2014ApJ...792...30M", "Mainzer et al. 2014, ApJ 792, 30: NEOWISE-R initial results"),
    ("2011ApJ...735..112J", "Jarrett et al. 2011, ApJ 735, 112: WISE photometric calibration (zero points)"),
    ("Cutri2013AllWISE", "Cutri et al. 2013, Explanatory Supplement to the AllWISE Data Release Products"),
    ("IRSA1", "AllWISE Source Catalog, IPAC, doi:10.26131/IRSA1"),
    ("IRSA144", "NEOWISE-R Single Exposure (L1b) Source Table, IPAC, doi:10.26131/IRSA144"),
    ("Necker2025", "Necker et al. 2025, A&A 695, A228: timewise (the visit binning used here)"),
    ("astropy2022", "Astropy Collaboration 2022, ApJ 935, 167"),
    ("Ginsburg2019", "Ginsburg et al. 2019, AJ 157, 98: astroquery"),
]

BIBTEX = r"""@ARTICLE{2010AJ....140.1868W,
  author = {{Wright}, Edward L. and others},
  title = "{The Wide-field Infrared Survey Explorer (WISE): Mission Description and Initial On-orbit Performance}",
  journal = {AJ}, year = 2010, volume = 140, pages = {1868}, doi = {10.1088/0004-6256/140/6/1868}
}
@ARTICLE{2011ApJ...731...53M,
  author = {{Mainzer}, A. and others},
  title = "{Preliminary Results from NEOWISE: An Enhancement to the Wide-field Infrared Survey Explorer for Solar System Science}",
  journal = {ApJ}, year = 2011, volume = 731, pages = {53}, doi = {10.1088/0004-637X/731/1/53}
}
@ARTICLE{2014ApJ...792...30M,
  author = {{Mainzer}, A. and others},
  title = "{Initial Performance of the NEOWISE Reactivation Mission}",
  journal = {ApJ}, year = 2014, volume = 792, pages = {30}, doi = {10.1088/0004-637X/792/1/30}
}
@ARTICLE{2011ApJ...735..112J,
  author = {{Jarrett}, T.~H. and others},
  title = "{The Spitzer-WISE Survey of the Ecliptic Poles}",
  journal = {ApJ}, year = 2011, volume = 735, pages = {112}, doi = {10.1088/0004-637X/735/2/112}
}
@TECHREPORT{Cutri2013AllWISE,
  author = {{Cutri}, R.~M. and others},
  title = "{Explanatory Supplement to the AllWISE Data Release Products}",
  institution = {IPAC/Caltech}, year = 2013
}
@MISC{IRSA1,
  title = "{AllWISE Source Catalog}", howpublished = {IPAC}, year = 2020, doi = {10.26131/IRSA1}
}
@MISC{IRSA144,
  title = "{NEOWISE-R Single Exposure (L1b) Source Table}", howpublished = {IPAC}, year = 2020, doi = {10.26131/IRSA144}
}
@ARTICLE{Necker2025,
  author = {{Necker}, J. and others},
  title = "{timewise: WISE light curves for large samples}",
  journal = {A\&A}, year = 2025, volume = 695, pages = {A228}
}
@ARTICLE{astropy2022,
  author = {{Astropy Collaboration}},
  title = "{The Astropy Project: Sustaining and Growing a Community-oriented Open-source Project and the Latest Major Release (v5.0) of the Core Package}",
  journal = {ApJ}, year = 2022, volume = 935, pages = {167}, doi = {10.3847/1538-4357/ac7c74}
}
@ARTICLE{Ginsburg2019,
  author = {{Ginsburg}, Adam and others},
  title = "{astroquery: An Astronomical Web-querying Package in Python}",
  journal = {AJ}, year = 2019, volume = 157, pages = {98}, doi = {10.3847/1538-3881/aafc33}
}
"""

#: Cited when the sky context (dashboard/sky) used the service: key -> (short text, BibTeX).
SKY_CITATIONS = {
    "simbad": ("2000A&AS..143....9W", "Wenger et al. 2000, A&AS 143, 9: the SIMBAD astronomical database",
               r"""@ARTICLE{2000A&AS..143....9W,
  author = {{Wenger}, M. and others},
  title = "{The SIMBAD astronomical database. The CDS reference database for astronomical objects}",
  journal = {A\&AS}, year = 2000, volume = 143, pages = {9}, doi = {10.1051/aas:2000332}
}
"""),
    "gaia": ("2023A&A...674A...1G", "Gaia Collaboration, Vallenari et al. 2023, A&A 674, A1: Gaia Data Release 3",
             r"""@ARTICLE{2023A&A...674A...1G,
  author = {{Gaia Collaboration} and {Vallenari}, A. and others},
  title = "{Gaia Data Release 3. Summary of the content and survey properties}",
  journal = {A\&A}, year = 2023, volume = 674, pages = {A1}, doi = {10.1051/0004-6361/202243940}
}
"""),
}

#: Cited when a view used the table or the photometry: key -> (BibTeX key, short text, BibTeX).
USE_CITATIONS = {
    "catwise_2020": ("Marocco2021", "Marocco et al. 2021, ApJS 253, 8: the CatWISE2020 catalog",
                     r"""@ARTICLE{Marocco2021,
  author = {{Marocco}, Federico and others},
  title = "{The CatWISE2020 Catalog}",
  journal = {ApJS}, year = 2021, volume = 253, pages = {8}
}
"""),
    "unwise_2019": ("Schlafly2019", "Schlafly, Meisner & Green 2019, ApJS 240, 30: the unWISE catalog",
                    r"""@ARTICLE{Schlafly2019,
  author = {{Schlafly}, E.~F. and {Meisner}, A.~M. and {Green}, G.~M.},
  title = "{The unWISE Catalog: Two Billion Infrared Sources from Five Years of WISE Imaging}",
  journal = {ApJS}, year = 2019, volume = 240, pages = {30}
}
"""),
    "apertures": ("Jarrett2013", "Jarrett et al. 2013, AJ 145, 6: WISE photometry of resolved galaxies",
                  r"""@ARTICLE{Jarrett2013,
  author = {{Jarrett}, T.~H. and others},
  title = "{Extending the Nearby Galaxy Heritage with WISE: First Results from the WISE Enhanced Resolution Galaxy Atlas}",
  journal = {AJ}, year = 2013, volume = 145, pages = {6}
}
"""),
    "2mass": ("Skrutskie2006", "Skrutskie et al. 2006, AJ 131, 1163: the Two Micron All Sky Survey (2MASS); its "
              "zero points: Cohen, Wheaton & Megeath 2003, AJ 126, 1090",
              r"""@ARTICLE{Skrutskie2006,
  author = {{Skrutskie}, M.~F. and others},
  title = "{The Two Micron All Sky Survey (2MASS)}",
  journal = {AJ}, year = 2006, volume = 131, pages = {1163}
}
@ARTICLE{Cohen2003,
  author = {{Cohen}, Martin and {Wheaton}, Wm.~A. and {Megeath}, S.~T.},
  title = "{Spectral Irradiance Calibration in the Infrared. XIV. The Absolute Calibration of 2MASS}",
  journal = {AJ}, year = 2003, volume = 126, pages = {1090}
}
"""),
    "gaia": ("Riello2021", "Riello et al. 2021, A&A 649, A3: Gaia (E)DR3 photometry, its zero points and passbands "
             "(the SED's G, BP, RP); the counterpart from Marrese et al. 2019, A&A 621, A144 (allwise_best_neighbour)",
             r"""@ARTICLE{Riello2021,
  author = {{Riello}, M. and others},
  title = "{Gaia Early Data Release 3. Photometric content and validation}",
  journal = {A\&A}, year = 2021, volume = 649, pages = {A3}
}
@ARTICLE{Marrese2019,
  author = {{Marrese}, P.~M. and {Marinoni}, S. and {Fabrizio}, M. and {Altavilla}, G.},
  title = "{Gaia Data Release 2. Cross-match with external catalogues: algorithms and results}",
  journal = {A\&A}, year = 2019, volume = 621, pages = {A144}
}
"""),
}
#: The 2MASS acknowledgement its data policy asks for, added where a view shows 2MASS photometry.
TWO_MASS_ACKNOWLEDGEMENT = (
    "This publication makes use of data products from the Two Micron All Sky Survey, which is a joint project of "
    "the University of Massachusetts and the Infrared Processing and Analysis Center/California Institute of "
    "Technology, funded by the National Aeronautics and Space Administration and the National Science Foundation.")
