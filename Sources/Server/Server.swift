// Module Server: see DESIGN.md.
