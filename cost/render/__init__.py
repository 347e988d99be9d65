"""Rendering: numbers become text only here. One number formatter and one JSON converter
(`format`); a module per thing shown (profile tables, sweeps, solve, zoo, guidelines, the HTML
sweep report, plots).
"""
