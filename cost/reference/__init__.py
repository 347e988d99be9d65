"""Reference forward passes that prove the shape rules: the numpy forward (`forward`), and the
same network as a `torch.nn.Module` (`torch_module`; torch is imported only there).
"""
