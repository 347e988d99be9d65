"""The engine: the walk that expands a spec into layers (`walk`), their totals (`profile.Profile`)
and deployment fusion (`fusion`). It knows no op by name: every op is looked up in `cost.ops`.
"""
