"""Rendering: numbers become text only here. One number formatter and one JSON converter
(`format`); a module per thing shown (profile tables, compare, check, the guidelines and their
experiments, sweeps and solve, the HTML sweep report, zoo, plots, the ops listing).
"""
