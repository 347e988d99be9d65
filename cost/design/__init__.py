"""Design-space exploration: grids of symbol values evaluated through one closed form, and budgets
solved for a symbol (`solve`).

A sweep's parts, one concept each: `grid` (parsing --grid, axes), `closed_form` (the one
symbolic walk), `vectorize` (exact numpy evaluation), `where` (--where), `chunks` (chunks of
the grid, plans, blocks and their columns), `reduce` (summary, Pareto front, top k),
`pareto` (the package's one Pareto front), `execute` (serial, processes, Dask) and `sweep`
(`sweep` in memory, `stream` in bounded memory).
"""
