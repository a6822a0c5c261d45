"""The logos of a motif run (:mod:`motif`), drawn as image files for its report and output folder."""

from __future__ import annotations

from motif.pipeline import MotifResult
from motif.report import REPORT_MATCHES, MotifImages
from viz.logo_images import aligned_logo_image, logo_image

REPORT_DPI = 100  # PNG resolution of logos in reports and output folders


def motif_images(result: MotifResult, fmt: str = "png", top: int = REPORT_MATCHES) -> MotifImages:
    """Every motif's logo, its reverse complement's, and its top ``top`` database matches aligned below it.

    Drawn by :mod:`viz.logo_images` (no matplotlib: a few milliseconds per image).

    Parameters
    ----------
    result : MotifResult
    fmt : {"png", "svg"}
    top : int
        Database matches drawn per motif (by rank).

    Returns
    -------
    MotifImages
    """
    images = MotifImages(fmt)
    for m in result.motifs:
        images.logos[m.id] = logo_image(m.ppm, m.id, fmt, REPORT_DPI)
        images.reverse_complements[m.id] = logo_image(m.ppm, m.id, fmt, REPORT_DPI, reverse_complement=True)
        for r in result.matches[result.matches["motif"] == m.id].head(top).itertuples(index=False):
            target = result.target_ppms[r.target_id]
            name = f"{r.target_id} {r.target_name}"
            images.matches[(m.id, r.target_id)] = aligned_logo_image(m.ppm, target, int(r.offset), r.orientation, m.id, name, fmt, REPORT_DPI)
    return images
