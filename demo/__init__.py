"""The demo build: planted-motif data (:mod:`demo.synthetic`), the demo model's recipe and card
(:mod:`demo.recipe`), the figure gallery (:mod:`demo.gallery`)."""

JASPAR_RELEASE = "JASPAR2024"
DEFAULT_MOTIFS = ("MA0139.2", "MA0095.2")  # CTCF, YY1: the demo model's planted factors
