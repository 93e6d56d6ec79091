// Module Ranking: see DESIGN.md.
