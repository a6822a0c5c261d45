"""The demo build: planted-motif data (:mod:`dnabert_demo.synthetic`), the demo model's recipe and card
(:mod:`dnabert_demo.recipe`), the figure gallery (:mod:`dnabert_demo.gallery`)."""

from motif.params import JasparSource

JASPAR_RELEASE = JasparSource().release  # the matrices the demo data is planted from
DEFAULT_MOTIFS = ("MA0139.2", "MA0095.2")  # CTCF, YY1: the demo model's planted factors
