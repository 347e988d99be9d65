"""The papers' numbers: reported figures as data (`reported`, `data/`), each spec's `expect`
entries (`expectations`), the zoo (computed beside reported), the accuracy frontier and the
ShuffleNet V2 guideline experiments.
"""
