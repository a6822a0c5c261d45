"""bertviz head view as one self-contained HTML page that works without a network.

bertviz's ``head_view`` loads require.js, d3 5 and jQuery from a CDN, which an
offline browser cannot reach. Here the require.js tag and the CDN
``require.config`` are removed; jQuery (from the ``xstatic-jquery`` package)
and d3 5 (``mpld3/js/d3.v5.min.js`` from ``mpld3``) are inlined, in that
order, followed by a two-line shim that hands them to bertviz's
``requirejs([...], callback)``.

bertviz writes every weight as a float64 string (62 MB for BERT-base at 99
tokens over all layers), twice (its template marker also sits in a
comment), so only the layer shown is passed, weights are rounded to 3
decimals and the copy in the comment is dropped. Inputs longer than ``max_tokens`` are refused: use the
plotly views of :mod:`viz.heads`, which work at any length.
"""

from __future__ import annotations

import re
from pathlib import Path

import mpld3
import numpy as np
import torch
import xstatic.pkg.jquery
from bertviz import head_view

from dnabert.errors import InputError
from viz.heads import check_attention

JQUERY_JS = Path(xstatic.pkg.jquery.BASE_DIR) / "jquery.min.js"
D3_JS = Path(mpld3.__file__).parent / "js" / "d3.v5.min.js"
SHIM_JS = "var require = {config: function () {}};\nfunction requirejs(deps, callback) { callback(window.jQuery, window.d3); }"
MAX_TOKENS = 200


def offline_scripts() -> str:
    """``<script>`` elements with jQuery, d3 5 and the require shim, inlined."""
    parts = [JQUERY_JS.read_text(encoding="utf-8"), D3_JS.read_text(encoding="utf-8"), SHIM_JS]
    return "".join(f'<script type="text/javascript">\n{p}\n</script>\n' for p in parts)


def head_view_html(tokens: list[str], attn: np.ndarray, layer: int, max_tokens: int = MAX_TOKENS) -> str:
    """bertviz head view of one layer, as a complete offline HTML page.

    Parameters
    ----------
    tokens : list of str, length T
        [CLS], k-mers, [SEP] (:func:`dnabert.analysis.inference.attention_matrices`).
    attn : np.ndarray, shape (layers, heads, T, T)
    layer : int
        The layer to show (0-based); the page holds only this layer.
    max_tokens : int
        Longest input accepted (the page grows as heads x T^2).

    Returns
    -------
    str
        An HTML document with no external reference.
    """
    a = check_attention(tokens, attn, layer)
    if len(tokens) > max_tokens:
        raise InputError(
            f"the head view takes at most {max_tokens} tokens (this input has {len(tokens)}): select a shorter "
            "stretch of the sequence, or use the per-head heatmaps and the context plot, which work at any length"
        )
    # float64 so that the 3-decimal weights print as 0.123, not 0.12300000339746475
    shown = torch.from_numpy(np.round(a[layer].astype(np.float64), 3))[None]
    per_layer = [shown if i == layer else None for i in range(a.shape[0])]  # bertviz reads only include_layers
    body = head_view(per_layer, tokens, layer=layer, include_layers=[layer], html_action="return").data
    body = re.sub(r'<script src="https?://[^"]*require[^"]*"></script>', "", body)
    body = re.sub(r"require\.config\(\{.*?\}\);", "", body, count=1, flags=re.DOTALL)
    body = re.sub(r"; // HACK: .*$", ";", body, count=1, flags=re.MULTILINE)  # a comment holding a 2nd copy of the weights
    # one layer is passed: its selector would only repeat the page's own (the script still reads the hidden one)
    body = body.replace('Layer: <select id="layer"></select>', '<select id="layer" hidden></select>', 1)
    head = f'<meta charset="utf-8">\n{offline_scripts()}'
    return f"<!DOCTYPE html>\n<html>\n<head>\n{head}</head>\n<body>\n{body}\n</body>\n</html>\n"
