"""Every Plotly figure of the page, built from the service layer's objects (no callbacks here):
one module per figure (``sed``, ``colours``, ``lightcurve``, ``timeseries``, ``sky``), the shared styling in
``style``."""

from dashboard.ui.figures.colours import colour_colour_figure
from dashboard.ui.figures.flare import dust_figure, excess_figure, flare_sentence
from dashboard.ui.figures.lightcurve import lightcurve_figure
from dashboard.ui.figures.sed import sed_figure
from dashboard.ui.figures.sky import sky_figure
from dashboard.ui.figures.style import REFERENCE_MJD, array, graph_config, log_ticks, message_figure
from dashboard.ui.figures.timeseries import colour_magnitude_figure, folded_figure, periodogram_figure

__all__ = ["REFERENCE_MJD", "array", "colour_colour_figure",
           "colour_magnitude_figure", "dust_figure", "excess_figure", "flare_sentence", "folded_figure", "graph_config",
           "lightcurve_figure",
           "log_ticks", "message_figure", "periodogram_figure", "sed_figure", "sky_figure"]
