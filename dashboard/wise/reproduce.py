"""What a bundle made before 0.8 imports (``from dashboard.wise.reproduce import main``): the same
functions, now in ``dashboard.provenance.reproduce``."""

from dashboard.provenance.reproduce import main, main_batch

__all__ = ["main", "main_batch"]
