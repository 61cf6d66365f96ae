"""The Dash page: layout, callbacks, figures and URL state. Only this package imports Dash."""
