"""The logos of a motif run (:mod:`motif`), drawn as image files for its report and output folder."""

from __future__ import annotations

from motif.pipeline import MotifResult
from motif.report import REPORT_MATCHES, MotifImages
from viz.logos import aligned_logo_images, figure_bytes, motif_logo

REPORT_DPI = 100  # PNG resolution of logos in reports and output folders


def motif_images(result: MotifResult, fmt: str = "png", top: int = REPORT_MATCHES) -> MotifImages:
    """Every motif's logo, its reverse complement's, and its top ``top`` database matches aligned below it.

    Parameters
    ----------
    result : MotifResult
    fmt : {"png", "svg"}
    top : int
        Database matches drawn per motif (by rank); one figure per motif, its
        match axes redrawn per match (:func:`viz.logos.aligned_logo_images`).

    Returns
    -------
    MotifImages
    """
    images = MotifImages(fmt)
    for m in result.motifs:
        images.logos[m.id] = figure_bytes(motif_logo(m.ppm, m.id), (fmt,), REPORT_DPI)[fmt]
        images.reverse_complements[m.id] = figure_bytes(motif_logo(m.ppm, m.id, reverse_complement=True), (fmt,), REPORT_DPI)[fmt]
        rows = list(result.matches[result.matches["motif"] == m.id].head(top).itertuples(index=False))
        matches = [(result.target_ppms[r.target_id], int(r.offset), r.orientation, f"{r.target_id} {r.target_name}") for r in rows]
        for r, image in zip(rows, aligned_logo_images(m.ppm, matches, m.id, fmt, REPORT_DPI)):
            images.matches[(m.id, r.target_id)] = image
    return images
