"""Design-space exploration: grids of symbol values evaluated through one closed form (`sweep`,
compiled by `vectorize`), and budgets solved for a symbol (`solve`).
"""
