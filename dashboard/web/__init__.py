"""Web concerns shared by the page and the plain routes: the hand-over of fetched data between
processes and the per-client rate limit. No science here and no Dash."""
