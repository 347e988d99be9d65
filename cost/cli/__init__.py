"""The `cost` command line: one thin module per command that parses options, calls the API and
hands the result to `cost.render`.
"""
