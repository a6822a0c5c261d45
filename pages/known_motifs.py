"""Known motifs page: which database motifs are enriched in the positives, and does the model attend to their sites?"""


import streamlit as st

from dnabert.params import field_map
from motif.cause import backgrounds_for, cause_check, model_predictor
from motif.jaspar import jaspar_database, load_meme_database
from motif.known import known_motif_attention
from motif.params import CAUSE_FIELDS, PARAM_FIELDS, TAX_GROUPS, JasparSource, KnownParams, MotifParams
from explorer.cli.params import settings_argv
from explorer.state import button_result, cli_command, coordinates, current_model, negatives, require_data, run_prediction
from explorer.widgets import attention_widget, param_widget, settings_widgets
from motif.bed import locate_sites
from viz.known_motifs import known_motif_scatter

st.title("Known motifs")
pos = require_data()
neg, shuffled = negatives()
st.caption(
    f"FIMO sites of every database motif in {len(pos)} positives and {len(neg)} "
    + ("dinucleotide-shuffled copies of them" if shuffled else "loaded negatives")
    + "; enrichment (hypergeometric, BH) and the model's attention at the sites against matched flanks (Wilcoxon, BH)."
)

with st.form("known_params"):
    c1, c2, c3 = st.columns(3)
    attention = attention_widget(c1, "known_attention")
    source = JasparSource(tax_group=param_widget(c1, field_map(JasparSource)["tax_group"], "known", TAX_GROUPS))
    upload = c2.file_uploader("...or your own MEME file", type=["meme", "txt"], key="known_meme")
    params = KnownParams(**settings_widgets([c2, c3, c3], KnownParams, "known"))
    run = st.form_submit_button("Scan known motifs", type="primary")

meme_bytes = upload.getvalue() if upload is not None else None
model_name = st.session_state.get("model_name")
key = ("known", model_name, pos.ids, pos.seqs, neg.seqs, attention, source, meme_bytes, params)


def load_database():
    if meme_bytes is None:
        return jaspar_database(source)
    return load_meme_database(meme_bytes)


def scan():
    pred = run_prediction(pos, attention=attention)
    with st.spinner(
        "Scanning every database motif with FIMO in positives and negatives (the example data against JASPAR: "
        "seconds). The first scan after installing compiles FIMO with numba first: minutes on a busy 2-core machine..."
    ):
        db = load_database()
        return (
            known_motif_attention(
                pos.seqs, pred.scores, neg.seqs, db, pos.ids, list(neg.ids), params
            ),
        )


(result,) = button_result(
    "known_result", key, run, scan, "Scan known motifs", "Choose the database and press **Scan known motifs**."
)

table = result.table
m1, m2, m3 = st.columns(3)
m1.metric("Motifs scanned", len(table))
m2.metric("Enriched (q < 0.05)", int((table["q"] < 0.05).sum()))
m3.metric("Attended (attention q < 0.05)", int((table["attention_q"] < 0.05).sum()))
st.plotly_chart(
    known_motif_scatter(table, title=f"{result.database}: enrichment vs attention"), width="stretch", key="known_chart"
)
st.caption("Top right: enriched and attended. Bottom right: enriched, but the model does not look at the sites.")
sci = {c: st.column_config.NumberColumn(c, format="%.2e") for c in ("p", "q", "attention_p", "attention_q")}
st.dataframe(table, hide_index=True, width="stretch", column_config=sci, key="known_table")

choice = st.selectbox(
    "Sites of motif",
    range(len(table)),
    format_func=lambda i: f"{table['name'].iloc[i]} ({table['motif_id'].iloc[i]})",
    key="known_choice",
)
motif_id = table["motif_id"].iloc[choice]
# genome columns of the positives' sites where headers carry coordinates (as known_sites.tsv of the command line)
all_sites = locate_sites(result.sites, pos.ids, coordinates(pos), result.sites["set"] == "pos")
sites = all_sites[(all_sites["motif_id"] == motif_id) & (all_sites["set"] == "pos")]
st.subheader(f"{table['name'].iloc[choice]} ({motif_id}): {len(sites)} sites in positives")
st.dataframe(
    sites.drop(columns=["motif_id", "name", "set", "seq"]).sort_values("attention", ascending=False),
    hide_index=True,
    width="stretch",
    key="known_sites",
)
d1, d2 = st.columns(2)
d1.download_button("Motifs (TSV)", table.to_csv(sep="\t", index=False).encode(), "known_motifs.tsv", "text/tab-separated-values")
d2.download_button(
    "Sites (TSV)", all_sites.to_csv(sep="\t", index=False).encode(), "known_sites.tsv", "text/tab-separated-values"
)
st.caption("The sites as BED (with genome coordinates where the headers carry them) are on the **Genome tracks** page.")
cli_command(
    "known-motifs",
    "--positives",
    "positives.fa",
    *([] if shuffled else ["--negatives", "negatives.fa"]),
    "--attention",
    attention,
    *(["--motif-db", "motifs.meme"] if meme_bytes else settings_argv(source)),
    *settings_argv(params),
    "--out",
    "known_out",
)

st.subheader("Does the model use these motifs?")
st.caption(
    "Cause check (motif.cause): a site sampled from each motif is written into the middle of background sequences "
    f"({'dinucleotide-shuffled positives' if shuffled else 'the negatives'}) against a site of the column-shuffled motif "
    "(insertion), and its FIMO sites in the positives are shuffled against as many random windows (ablation); the mean "
    "change in P(last class) with its 95% interval, Wilcoxon signed-rank, BH over all tests."
)
with st.form("cause_params"):
    chosen = st.multiselect(
        "Motifs to check",
        list(table["motif_id"]),
        default=list(table["motif_id"].head(5)),
        format_func=lambda i: f"{table.set_index('motif_id').loc[i, 'name']} ({i})",
        key="cause_motifs",
    )
    cols = st.columns(len(CAUSE_FIELDS))
    cause_values = {name: param_widget(cols[i], PARAM_FIELDS[name], "cause") for i, name in enumerate(CAUSE_FIELDS)}
    run_cause = st.form_submit_button("Run cause check", type="primary")
cause_params = MotifParams(**cause_values)
cause_key = ("cause", model_name, pos.ids, pos.seqs, neg.seqs, shuffled, meme_bytes, source, tuple(chosen), cause_params)


def check():
    if not chosen:
        from dnabert.errors import InputError

        raise InputError("choose at least one motif to check")
    cause_params.check()
    db = load_database()
    names = [db.names[db.ids.index(i)] for i in chosen]
    with st.spinner(f"Cause check of {len(chosen)} motifs (budget {cause_params.cause_budget:g} s)..."):
        checked = cause_check(
            model_predictor(current_model()), list(chosen), names, [db.ppm(i) for i in chosen], pos.seqs,
            backgrounds_for(pos.seqs, None if shuffled else neg.seqs, cause_params.seed), cause_params,
        )  # fmt: skip
    return (checked,)


(checked,) = button_result(
    "cause_result", cause_key, run_cause, check, "Run cause check", "Choose motifs and press **Run cause check**."
)
for note in checked.notes:
    st.info(note)
cause_sci = {c: st.column_config.NumberColumn(c, format="%.2e") for c in checked.table.columns if c.endswith(("_p", "_q"))}
cause_sci |= {
    c: st.column_config.NumberColumn(c, format="%+.3f") for c in checked.table.columns if c.endswith(("_effect", "_low", "_high"))
}
st.dataframe(checked.table, hide_index=True, width="stretch", column_config=cause_sci, key="cause_table")
st.download_button(
    "Cause check (TSV)", checked.table.to_csv(sep="\t", index=False).encode(), "cause.tsv", "text/tab-separated-values"
)
cli_command(
    "cause",
    "--positives",
    "positives.fa",
    *([] if shuffled else ["--negatives", "negatives.fa"]),
    *(["--motifs", "motifs.meme", "--only", *chosen] if meme_bytes else ["--jaspar", *chosen]),
    *settings_argv(cause_params),
    "--out",
    "cause.tsv",
)
