"""The logos of a motif run (:mod:`motif`), drawn as image files for its report and output folder."""

from __future__ import annotations

from motif.pipeline import MotifResult
from motif.report import REPORT_MATCHES, MotifImages
from viz.logos import aligned_logos, figure_bytes, motif_logo

REPORT_DPI = 100  # PNG resolution of logos in reports and output folders


def motif_images(result: MotifResult, fmt: str = "png", top: int = REPORT_MATCHES) -> MotifImages:
    """Every motif's logo, its reverse complement's, and its top ``top`` database matches aligned below it.

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

    def draw(fig) -> bytes:
        return figure_bytes(fig, (fmt,), dpi=REPORT_DPI)[fmt]

    for m in result.motifs:
        images.logos[m.id] = draw(motif_logo(m.ppm, m.id))
        images.reverse_complements[m.id] = draw(motif_logo(m.ppm, m.id, reverse_complement=True))
        rows = result.matches[result.matches["motif"] == m.id].head(top)
        for r in rows.itertuples(index=False):
            label = f"{r.target_id} {r.target_name}"
            fig = aligned_logos(m.ppm, result.target_ppms[r.target_id], int(r.offset), r.orientation, m.id, label)
            images.matches[(m.id, r.target_id)] = draw(fig)
    return images
