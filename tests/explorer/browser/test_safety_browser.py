"""A hostile upload file name through a real server and browser never becomes a server path (issue 11).

The browser's upload request is rewritten on its way out so that the multipart
``filename`` is exactly what an attacker would send (browsers strip path parts
themselves); the server must write nothing outside its temporary area.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, IDLE, streamlit_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install chromium)"),
]
playwright = pytest.importorskip("playwright.sync_api")
TIMEOUT = 240_000
SEQ = "ACGTTGCAAGGCTTACGATCGATCGGGCGCCCCCTGGTGGCC"


def idle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=TIMEOUT)


@pytest.mark.parametrize("hostile", ["../../escaped_rel.tsv", "{root}/escaped_abs.tsv"])
def test_a_hostile_upload_file_name_writes_nothing_outside_the_temporary_area(tmp_path, hostile):
    temp_area = tmp_path / "server" / "tmp"  # the server's TMPDIR; '../..' from a folder inside it leaves tmp_path/server
    temp_area.mkdir(parents=True)
    name = hostile.format(root=tmp_path)
    before = set(tmp_path.rglob("*"))
    with (
        streamlit_server(env={"TMPDIR": str(temp_area)}) as url,
        playwright.sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})

        def rewrite(route):  # put the hostile name into the multipart body the server receives
            body = route.request.post_data_buffer or b""
            route.continue_(post_data=re.sub(rb'filename="[^"]*"', f'filename="{name}"'.encode(), body, count=1))

        page.route("**/_stcore/upload_file/**", rewrite)
        page.goto(url)
        idle(page)
        main = page.get_by_test_id("stMain")
        main.get_by_test_id("stRadio").filter(has_text="Input").first.get_by_text("Paste", exact=True).click()
        idle(page)
        page.get_by_label("Sequences (FASTA or one per line)").fill(f">s1\n{SEQ}\n")
        page.get_by_role("button", name="Load sequences").click()
        page.get_by_text("Input summary").wait_for(timeout=TIMEOUT)
        page.get_by_test_id("stSidebarNav").get_by_text("Variants", exact=True).click()
        idle(page)
        page.get_by_role("tab", name="Variant list").click()
        page.locator('input[type="file"]').set_input_files(
            files=[{"name": "variants.tsv", "mimeType": "text/tab-separated-values", "buffer": b"s1\t3\t4\tG\n"}]
        )
        idle(page)
        page.get_by_role("button", name="Score variants").click()
        idle(page)
        page.get_by_role("button", name="Download (TSV)").wait_for(timeout=TIMEOUT)  # the list was read and scored
        assert not page.get_by_text("Traceback").count()
        browser.close()
    written = {p for p in set(tmp_path.rglob("*")) - before if not p.is_relative_to(temp_area)}
    assert written == set(), f"the upload wrote outside the server's temporary area: {sorted(written)}"
    assert not Path(name).is_absolute() or not Path(name).exists()
