"""The screening app: one study at a time in the browser, on the reviewers' own CSV sheets.

Layers, bottom up: `highlight` (protocol terms in record text), `studies` (what a study shows),
`sheet` (a people's CSV file held in memory and written back one cell at a time, atomically),
`order` (which study comes next), `tokens` (secret links for team use), `session` (one reviewer
at one stage), `resolve` (the resolver's view of conflicts), `server` (Starlette routes), `command`
(`python -m pipeline app`).
"""
