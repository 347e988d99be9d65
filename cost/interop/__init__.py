"""Models in and out: PyTorch and ONNX models become specs, specs become models, and a spec is
compared with a model (or another spec).

- `graph`: the importers' common form, a flat list of op applications with concrete shapes;
- `torch_import`: a `torch.nn.Module` traced with torch.fx; `onnx_import`: an ONNX file;
- `fold` + `spec_writer`: the graph as a spec a person would keep (blocks, repeats, `r` and `n`);
- `source`: a SOURCE argument (file.onnx, package.module:factory, spec.yaml) to a graph or spec;
- `export`: a spec as a torch module or an ONNX file with seeded random weights;
- `diff`: two profiles aligned layer by layer, the first divergence and the totals.

torch and onnx are imported inside the functions that need them, never by `import cost`.
"""
