"""The counting conventions of the profilers users compare with, op by op: fvcore, thop, ptflops,
torchinfo and torch's FlopCounterMode, beside the `paper` convention of `cost.measures`.

Named counting conventions (`CONVENTIONS`, `count`): the multiply-adds above are the `paper`
convention. `fvcore`, `thop`, `ptflops`, `torchinfo` and `torch` count the way those profilers
do on the PyTorch module of a spec (cost.reference.torch_module), op by op, each rule citing the
tool's
source; tests/test_tools_agree.py runs the tools and checks the totals are equal. They differ in
BN (0, 2, 4 per element or n·2c), bias adds, activations and pooling, and the 2x of FLOPs.
`cost compare SPEC` shows the totals side by side and where the differences come from.

"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from cost.conventions.counting import (
    Count,
    Rule,
    adaptive_pooled_inputs,
    batch_params,
    bias_adds,
    conv_madds,
    in_numel,
    linear_madds,
    out_numel,
    own_madds,
    per_image,
    plus,
    pooled_inputs,
    times,
    zero,
)
from cost.errors import SpecError, did_you_mean
from cost.measures import FLOPS_PER_MADD
from cost.symbolic import normalize, sint

if TYPE_CHECKING:
    from cost.engine.profile import Profile
    from cost.engine.walk import Layer

# --- named conventions: how each profiler counts, op by op ------------------------------------
# One table per convention: registered op name -> rule (cost.conventions.counting). Every op of the
# registry
# is in every table (tests/test_conventions.py checks it); a 0 is written out with its reason.
# "Translator" below is cost.reference.torch_module, the module the tools are run on in
# tests/test_tools_agree.py: nn.Conv2d, nn.Linear, nn.BatchNorm2d/1d (eval, affine), nn.ReLU,
# nn.ReLU6, nn.Sigmoid, nn.Hardsigmoid, nn.Hardswish, nn.Dropout, nn.MaxPool2d, nn.AvgPool2d,
# nn.AdaptiveAvgPool2d(size) (global_avgpool: size 1), nn.Flatten, nn.ChannelShuffle, and small
# custom modules for add (`x + y`), mul (`x * y`), concat (torch.cat) and channel_split
# (torch.chunk). Hook-based tools (thop, ptflops, torchinfo) depend on that structure; where
# another structure would change a tool's count, the entry says so.


@dataclass(frozen=True)
class Convention:
    """A named set of per-op counting rules.

    name     the name on the command line and in output columns
    tool     the call whose total it reproduces ("" for the paper convention)
    package  the tool's distribution (its installed version is checked in the tests), or ""
    version  the version the rules were read from and tested against
    unit     what one count is
    summary  how it differs from the paper convention, in a few words
    rules    registered op name -> Rule (cost.conventions.counting); read-only

    >>> CONVENTIONS["thop"].line()[:61]
    "convention thop: multiply-adds (thop's 'MACs'); conv + linear"
    """

    name: str
    tool: str
    package: str
    version: str
    unit: str
    summary: str
    rules: Mapping[str, Rule]

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))  # read-only

    def of(self, layer: Layer) -> sint:
        """The count of one engine layer under this convention."""
        rule = self.rules.get(layer.op)
        if rule is None:
            raise SpecError(f"op {layer.op!r} has no rule in convention {self.name!r}",
                            where=layer.path, hint="add it to every table in cost/conventions.py")
        return normalize(rule(layer))

    def line(self) -> str:
        """One line naming the convention, for output next to its numbers."""
        source = f"; reproduces {self.package} {self.version}: {self.tool}" if self.tool else ""
        return f"convention {self.name}: {self.unit}; {self.summary}{source}"


PAPER = Convention(
    "paper", "", "", "", "multiply-adds (1 per multiply-add)",
    "conv + linear only (the papers' FLOPs/MAdds; each op's formula in cost.ops)",
    {
        "conv": own_madds,                 # cost.ops.conv.Conv.madds
        "linear": own_madds,               # cost.ops.conv.Linear.madds
        "bn": zero,                        # folded into the conv before it at inference
        "relu": zero, "relu6": zero, "sigmoid": zero,  # activations: no multiply-add
        "hard_sigmoid": zero, "hard_swish": zero,
        "maxpool": zero,                   # comparisons
        "avgpool": zero, "adaptive_avgpool": zero,  # adds and one divide per output:
        "global_avgpool": zero,                     # not multiply-adds
        "add": zero, "mul": zero,          # an add or a multiply alone is not a multiply-add
        "concat": zero, "channel_split": zero, "channel_shuffle": zero,  # data movement
        "flatten": zero, "dropout": zero,  # a view; the identity at inference
    },
)

# fvcore 0.1.5.post20221221: FlopCountAnalysis(model, x).total(). It traces the model with
# torch.jit.trace and counts the aten ops in fvcore/nn/flop_count.py _DEFAULT_SUPPORTED_OPS
# ("We count one fused multiply-add as one flop"); ops in jit_analysis.py _IGNORED_OPS count 0
# silently, any other op counts 0 with an "unsupported operator" warning. Op-level, so the
# module structure does not matter (`x + y` and torch.add both trace to aten::add).
FVCORE = Convention(
    "fvcore", "FlopCountAnalysis(model, x).total()", "fvcore", "0.1.5.post20221221",
    "multiply-adds (fvcore's 'flops': 1 per multiply-add)",
    "conv + linear without bias, BN 2/element, adaptive avg-pool 1/input element",
    {
        # jit_handles.conv_flop_jit -> conv_flop_count: batch · prod(w_shape) · prod(out_spatial)
        "conv": conv_madds,
        # jit_handles.linear_flop_jit (aten::linear): prod(input_shape) · out_features; no bias
        "linear": linear_madds,
        # jit_handles.batchnorm_flop_jit, eval: numel(input) · (2 if affine else 1)
        "bn": times(2, in_numel),
        # aten::adaptive_avg_pool2d (flop_count.py): elementwise_flop_counter(1, 0) = 1 per
        # input element, whatever the output size (overlapping bins count their inputs once);
        # a global pool written as x.mean((2, 3)) would be aten::mean: unsupported, 0
        "adaptive_avgpool": in_numel,
        "global_avgpool": in_numel,
        "relu": zero,             # aten::relu is in _IGNORED_OPS
        "relu6": zero,            # nn.ReLU6 traces to aten::hardtanh: unsupported, 0
        "sigmoid": zero,          # aten::sigmoid: unsupported, 0
        "hard_sigmoid": zero,     # aten::hardsigmoid: unsupported, 0
        "hard_swish": zero,       # aten::hardswish: unsupported, 0
        "maxpool": zero,          # aten::max_pool2d: unsupported, 0
        "avgpool": zero,          # aten::avg_pool2d: unsupported, 0
        "add": zero,              # aten::add: unsupported, 0
        "mul": zero,              # aten::mul: unsupported, 0
        "concat": zero,           # aten::cat is in _IGNORED_OPS
        "channel_split": zero,    # aten::chunk is in _IGNORED_OPS
        "channel_shuffle": zero,  # aten::channel_shuffle: unsupported, 0
        "flatten": zero,          # aten::flatten is in _IGNORED_OPS
        "dropout": zero,          # aten::dropout is in _IGNORED_OPS
    },
)

# ultralytics-thop 2.2.3: thop.profile(model, (x,))[0]. Forward hooks on the module types of
# thop/profile.py register_hooks, rules in thop/vision/basic_hooks.py; a module type with no rule
# counts 0 (a "[WARN] Cannot find rule" only with report_missing=True). Its TorchFunctionMode
# (_FunctionCounter) counts only the products of functional_hooks (matmul, bmm, einsum,
# F.linear, attention) outside modules with a rule of their own.
THOP = Convention(
    "thop", "thop.profile(model, (x,))[0]", "ultralytics-thop", "2.2.3",
    "multiply-adds (thop's 'MACs')",
    "conv + linear without bias, BN 4/element, avg-pool window adds + 1 divide per output",
    {
        # count_convNd -> calc_func.calculate_conv2d_flops: out.numel · (cin // g) · prod(k)
        "conv": conv_madds,
        # count_linear: in_features · y.numel(); the bias add is not counted
        "linear": linear_madds,
        # count_normalization (on _NormBase: BatchNorm1d/2d): calculate_norm = 2·numel, ×2 affine
        "bn": times(4, in_numel),
        # count_avgpool: n·c · Σ window sizes (padding included) + y.numel() (one divide each)
        "avgpool": plus(pooled_inputs, out_numel),
        # count_adap_avgpool: one add per pooled input, walking the bins AdaptiveAvgPool slices
        # ([j·I // O, ceil((j+1)·I / O)) per axis; overlapping bins count an input once each),
        # + one divide per output (y.numel())
        "adaptive_avgpool": plus(adaptive_pooled_inputs, out_numel),
        # the same with a 1×1 output: one bin, the whole map (x.mean((2, 3)) would count 0)
        "global_avgpool": plus(in_numel, out_numel),
        "relu": zero, "relu6": zero,  # register_hooks: nn.ReLU, nn.ReLU6 -> zero_ops
        "maxpool": zero,              # nn.MaxPool2d -> zero_ops
        "dropout": zero,              # nn.modules.dropout._DropoutNd -> zero_ops
        "flatten": zero,              # nn.Flatten -> zero_ops
        "channel_shuffle": zero,      # nn.ChannelShuffle -> zero_ops
        "sigmoid": zero,              # nn.Sigmoid: no rule, 0
        "hard_sigmoid": zero,         # nn.Hardsigmoid: no rule, 0
        "hard_swish": zero,           # nn.Hardswish: no rule, 0 ("want formulas", profile.py)
        # translator's custom modules have no rule, and Tensor.__add__ / __mul__ / torch.cat /
        # torch.chunk are not in functional_hooks: 0 (torch.add would be 0 too)
        "add": zero, "mul": zero, "concat": zero, "channel_split": zero,
    },
)

# ptflops 0.7.5: get_model_complexity_info(model, input_res, as_strings=False), default backend
# FLOPS_BACKEND.PYTORCH (flops_counter.py signature; the README's "aten" default is not the
# code's). Forward hooks on the types of pytorch_ops.py MODULES_MAPPING, plus patched functions
# (pytorch_engine.py patch_functional: F.relu, F.*pool*, ...; patch_tensor_ops: torch.add,
# Tensor.add, torch.mul, Tensor.mul, matmul family). Two quirks, reproduced:
# - module-hook counts are averaged over the batch (compute_average_flops_cost divides by
#   __batch_counter__), the patched-function counts are not (get_flops_pytorch adds
#   sum(torch_functional_flops) afterwards). input_res always gets a batch of 1, so the two only
#   part ways with a batch > 1 passed through input_constructor.
# - nn.ReLU.forward calls F.relu and the pooling modules call F.max_pool2d / F.avg_pool2d /
#   F.adaptive_avg_pool2d, all patched: those layers count twice (hook + function). nn.ReLU6
#   calls F.hardtanh, not patched: once. Functional F.relu in a model would count once.
PTFLOPS = Convention(
    "ptflops", "get_model_complexity_info(model, input_res)[0], pytorch backend",
    "ptflops", "0.7.5", "multiply-adds per image (ptflops' 'MACs')",
    "conv + linear with bias adds, BN 2/element, ReLU and every pooling 2/input element "
    "(module hook + patched function), ReLU6 1/element",
    {
        # conv_flops_counter_hook: k²·cin·(cout/g)·n·h'·w' + n·cout·h'·w' with a bias
        "conv": per_image(plus(conv_madds, bias_adds)),
        # linear_flops_counter_hook: (fin·out + out with bias) · prod(input.shape[:-1]);
        # F.linear's patch is commented out in patch_functional
        "linear": per_image(plus(linear_madds, bias_adds)),
        # bn_flops_counter_hook: numel(input) · 2 (affine)
        "bn": per_image(times(2, in_numel)),
        # relu_flops_counter_hook (output numel) + patched F.relu (_numel_functional_flops_hook)
        "relu": plus(per_image(out_numel), in_numel),
        # relu_flops_counter_hook only: ReLU6 -> F.hardtanh is not patched
        "relu6": per_image(out_numel),
        # pool_flops_counter_hook (input numel; MODULES_MAPPING has nn.MaxPool2d, nn.AvgPool2d
        # and nn.AdaptiveAvgPool2d) + patched F.max_pool2d / F.avg_pool2d /
        # F.adaptive_avg_pool2d (input numel); x.mean((2, 3)) instead would count 0
        "maxpool": plus(per_image(in_numel), in_numel),
        "avgpool": plus(per_image(in_numel), in_numel),
        "adaptive_avgpool": plus(per_image(in_numel), in_numel),
        "global_avgpool": plus(per_image(in_numel), in_numel),
        # not in MODULES_MAPPING; torch.sigmoid, F.hardsigmoid, F.hardswish are not patched
        "sigmoid": zero, "hard_sigmoid": zero, "hard_swish": zero,
        # the translator's `x + y` / `x * y` call Tensor.__add__ / __mul__, which are not
        # patched: 0. torch.add(x, y) or x.add(y) would count the broadcast numel (per batch)
        "add": zero, "mul": zero,
        # torch.cat, torch.chunk, nn.ChannelShuffle, nn.Flatten, nn.Dropout: no hook, no patch
        "concat": zero, "channel_split": zero, "channel_shuffle": zero,
        "flatten": zero, "dropout": zero,
    },
)

# torchinfo 1.8.0: summary(model, input_data=x).total_mult_adds, the sum over leaf layers
# (model_statistics.py) of LayerInfo.calculate_macs (layer_info.py): for each parameter named
# weight or bias, its numel × prod(output[:1] + output[2:]) in a class named "Conv…", else
# × output[0] (the batch). A layer without parameters counts 0.
TORCHINFO = Convention(
    "torchinfo", "summary(model, input_data=x).total_mult_adds", "torchinfo",
    "1.8.0", "multiply-adds (torchinfo's 'Mult-Adds')",
    "parameters × output positions: conv + linear with bias, BN n·2c, the rest 0",
    {
        "conv": plus(conv_madds, bias_adds),   # (weight + bias numel) · n·h'·w'
        "linear": plus(linear_madds, bias_adds),  # n · (fin·out + out)
        "bn": batch_params,                    # n · 2c (scale and shift)
        # no parameters: 0
        "relu": zero, "relu6": zero, "sigmoid": zero, "hard_sigmoid": zero, "hard_swish": zero,
        "maxpool": zero, "avgpool": zero, "adaptive_avgpool": zero, "global_avgpool": zero,
        "add": zero, "mul": zero, "concat": zero, "channel_split": zero, "channel_shuffle": zero,
        "flatten": zero, "dropout": zero,
    },
)

# torch 2.13.0: torch.utils.flop_counter.FlopCounterMode, get_total_flops(). A
# TorchDispatchMode counting the aten ops of flop_registry (mm, addmm, bmm, convolution, SDPA...)
# at 2 FLOPs per multiply-add ("Should be 2 * c_in - 1 technically"); every other op counts 0.
TORCH = Convention(
    "torch", "torch.utils.flop_counter.FlopCounterMode().get_total_flops()", "torch",
    "2.13.0", f"FLOPs ({FLOPS_PER_MADD} per multiply-add)",
    "conv + linear without bias, everything else 0",
    {
        # conv_flop_count: 2 · batch · prod(out_spatial) · prod(k) · cout · cin/g; bias ignored
        "conv": times(FLOPS_PER_MADD, conv_madds),
        # addmm_flop = mm_flop: 2·m·n·k; the bias of addmm is ignored
        "linear": times(FLOPS_PER_MADD, linear_madds),
        # not in flop_registry (aten::adaptive_avg_pool2d neither): 0
        "bn": zero, "relu": zero, "relu6": zero, "sigmoid": zero, "hard_sigmoid": zero,
        "hard_swish": zero, "maxpool": zero, "avgpool": zero, "adaptive_avgpool": zero,
        "global_avgpool": zero, "add": zero, "mul": zero, "concat": zero, "channel_split": zero,
        "channel_shuffle": zero, "flatten": zero, "dropout": zero,
    },
)

CONVENTIONS: dict[str, Convention] = {
    c.name: c for c in (PAPER, FVCORE, THOP, PTFLOPS, TORCHINFO, TORCH)
}


def get(name: str) -> Convention:
    """The convention called `name`; an unknown name is a user error with the names allowed."""
    try:
        return CONVENTIONS[name]
    except KeyError:
        raise SpecError(f"unknown convention {name!r}",
                        hint=did_you_mean(name, list(CONVENTIONS))
                        or "allowed: " + ", ".join(CONVENTIONS)) from None


def count(profile: Profile, name: str = "paper") -> Count:
    """Per-layer counts of `profile` under the convention `name`, with total and by-op sums.

    >>> import cost  # doctest: +SKIP
    >>> p = cost.profile(cost.load("specs/shufflenet_g3.yaml"))  # doctest: +SKIP
    >>> count(p, "paper").total == p.total.madds  # doctest: +SKIP
    True
    """
    convention = get(name)
    values = tuple(convention.of(layer) for layer in profile.layers)
    return Count(name, tuple(layer.op for layer in profile.layers), values)
