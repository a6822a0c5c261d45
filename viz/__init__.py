"""Visualization: plotly figures from attention, motif and variant arrays."""
