"""The HTML page `dvc plots show` fills: Vega, Vega-Lite and Vega-Embed inlined, so the plots draw with no network.

DVC's own page loads those three libraries from a CDN, and a page opened offline (an air-gapped machine, a CI
artifact opened later) stays blank. vl-convert ships the same libraries; its bundle sets `vegaEmbed` on `window`,
which is all the `<script>` that DVC writes for each plot calls.
"""

from __future__ import annotations

import re

import vl_convert

# DVC's templates declare the Vega-Lite v5 schema, and its built-in confusion template uses v5-only syntax.
VEGA_LITE_VERSION = "5.21"

# DVC replaces these three in the page; {scripts} is left out on purpose: it is where DVC puts the CDN links.
PLOTS_PLACEHOLDER = "{plot_divs}"
PAGE = """<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <meta charset="utf-8">
    <title>MNIST: NumPy vs PyTorch, DVC plots</title>
    <script type="text/javascript">
BUNDLE
    </script>
    <style>
        body { font-family: sans-serif; }
        div.vega-embed { margin: 12px; }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""


def offline_page(bundle: str | None = None) -> str:
    """The page, with `bundle` (by default vl-convert's Vega-Embed bundle) inlined in its head."""
    bundle = vl_convert.javascript_bundle(vl_version=VEGA_LITE_VERSION) if bundle is None else bundle
    if any(f"{{{name}}}" in bundle for name in ("plot_divs", "scripts", "refresh_tag")):
        raise ValueError("the JavaScript bundle contains one of DVC's page placeholders")
    # A literal "</script" inside the inline script would end it early.
    return PAGE.replace("BUNDLE", re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE))
