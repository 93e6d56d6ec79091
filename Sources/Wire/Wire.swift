// Module Wire: see DESIGN.md.
