"""Genome tracks page: attention, high-attention regions and motif instances as files for IGV / the UCSC browser."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dnabert.genome.coordinates import coordinates_from_ids
from dnabert.errors import InputError
from dnabert.genome.tracks import chrom_sizes, per_base_table, write_bed, write_bedgraph, write_bigwig
from motif.bed import region_bed, site_bed
from motif.params import MotifParams
from explorer.cli.params import settings_argv
from explorer.state import cli_command, content_hash, require_data, run_prediction, show_error
from explorer.widgets import attention_widget, settings_widgets

st.title("Genome tracks")
pos = require_data()
try:
    coords, notes = coordinates_from_ids(pos, "sequences")
except InputError as e:
    show_error(e)
    st.stop()
for note in notes:
    st.info(note)
n_located = sum(c is not None for c in coords)
if n_located:
    st.caption(f"{n_located} of {len(pos)} sequences carry genome coordinates in their headers (chrom:start-end, 0-based).")
else:
    st.caption(
        "No sequence header is a genome region (chrom:start-end[(+|-)], 0-based, as bedtools getfasta writes): "
        "each track uses the sequence id as its chromosome. `python -m dnabert regions --regions peaks.bed --genome ref.fa` "
        "writes such headers."
    )

c1, c2, c3 = st.columns(3)
mode = attention_widget(c1, "tracks_mode", radio=True)
rule = MotifParams(**settings_widgets([c2, c3], MotifParams, "tracks", ("z", "min_len")))  # the motif analysis's regions

try:
    pred = run_prediction(pos, attention=mode)
except InputError as e:
    show_error(e)
    st.stop()

table = per_base_table(coords, pos.ids, pred.scores)
regions = region_bed(coords, pos.ids, pos.seqs, pred.scores, rule.z, rule.min_len)
beds = {"high_attention": regions}
motif_result = st.session_state.get("motif_result")
if motif_result is not None and motif_result[1].motifs:
    instances = pd.concat([m.instances for m in motif_result[1].motifs])
    beds["motif_instances"] = site_bed(coords, pos.ids, pred.scores, instances, "motif")
known = st.session_state.get("known_result")
if known is not None and known[1].n_pos == len(pos):
    sites = known[1].sites[known[1].sites["set"] == "pos"].assign(bed_name=lambda d: d["name"] + "_" + d["motif_id"])
    beds["known_sites"] = site_bed(coords, pos.ids, pred.scores, sites, "bed_name")
sizes = chrom_sizes(table)


def track_files() -> dict[str, bytes]:
    """Every file of this page (name -> bytes), written through the same writers as the CLI."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_bedgraph(folder / "attention.bedGraph", table, "attention", f"per-nucleotide {mode} attention")
        write_bigwig(folder / "attention.bw", table, sizes)
        for name, bed in beds.items():
            write_bed(folder / f"{name}.bed", bed, name)
        pd.Series(sizes).to_csv(folder / "chrom.sizes", sep="\t", header=False)
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# written once per input and settings (bigWig and BED writing is not repeated on every rerun)
files_key = content_hash(
    st.session_state.get("model_name"),
    pos.ids,
    pos.seqs,
    mode,
    rule,
    {k: b.to_csv() for k, b in beds.items() if k != "high_attention"},
)
if st.session_state.get("tracks_files", (None,))[0] != files_key:
    st.session_state["tracks_files"] = (files_key, track_files())
files = st.session_state["tracks_files"][1]
m1, m2, m3 = st.columns(3)
m1.metric("Bases in the attention track", int((table["end"] - table["start"]).sum()))
m2.metric("High-attention regions", len(regions))
m3.metric("Chromosomes / sequence tracks", len(sizes))
st.subheader("High-attention regions (BED6, score = mean attention scaled to 0-1000)")
st.dataframe(regions, hide_index=True, width="stretch", key="tracks_regions")
hints = {"motif_instances": "run **Motifs** to add a BED of motif instances", "known_sites": "run **Known motifs** to add their sites"}
missing = [hint for name, hint in hints.items() if name not in beds]
if missing:
    st.caption("; ".join(missing).capitalize() + ".")
cols = st.columns(len(files))
for col, (name, data) in zip(cols, files.items()):
    col.download_button(name, data, name, "application/octet-stream", key=f"tracks_dl_{name}")
cli_command("tracks", "--input", "sequences.fa", "--attention", mode, *settings_argv(rule), "--out", "tracks")
