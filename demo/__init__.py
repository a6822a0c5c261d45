"""The demo build: planted-motif data (``synthetic``), the demo model and its card (``recipe``), the figure gallery."""
