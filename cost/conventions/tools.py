"""The counting conventions of the profilers users compare with, kind of op by kind of op: fvcore,
thop, ptflops, torchinfo and torch's FlopCounterMode, beside the `paper` convention of
`cost.measures`.

Named counting conventions (`CONVENTIONS`, `count`): the multiply-adds above are the `paper`
convention. `fvcore`, `thop`, `ptflops`, `torchinfo` and `torch` count the way those profilers
do on the PyTorch module of a spec (cost.reference.torch_module), each rule citing the tool's
source; tests/test_tools_agree.py runs the tools and checks the totals are equal. They differ in
BN (0, 2, 4 per element or n·2c), bias adds, activations and pooling, and the 2x of FLOPs.
`cost compare SPEC` shows the totals side by side and where the differences come from.

A convention's rules are keyed by the kind an op declares (`cost.ops.base.KINDS`), plus a few
overrides keyed by op name where the tool treats that very op apart from its kind (ptflops'
nn.ReLU, thop's nn.AvgPool2d, fvcore's aten::layer_norm). An op is counted by its override (keyed
by the op's registered name, so an alias such as swish shares silu's), else by its kind's rule; an
op
with neither is an error (`Convention.of`), and `gaps` lists every such hole for the tests.
Contractions (conv, linear) are counted from the op's own `madds` (`counting.own_madds`), never
from a second copy of its formula.

>>> CONVENTIONS["ptflops"].rule("relu6", "activation").__name__
'per_image(out_numel)'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from cost.conventions.counting import (
    Count,
    Rule,
    adaptive_pooled_inputs,
    batch_params,
    bias_adds,
    by_variant,
    in_numel,
    out_numel,
    own_madds,
    params_per_position,
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

# --- named conventions: how each profiler counts, kind of op by kind of op -----------------------
# One table per convention: kind (cost.ops.base.KINDS) -> rule (cost.conventions.counting), and
# op name -> rule for the ops the tool treats apart from their kind. Every kind is in every table
# and every registered op resolves to a rule (tests/test_conventions.py checks both, `gaps`); a 0
# is written out with its reason.
# "Translator" below is cost.reference.torch_module, the module the tools are run on in
# tests/test_tools_agree.py: each op's `torch_module` (cost.ops), i.e. nn.Conv2d, nn.Linear,
# nn.BatchNorm2d/1d (eval, affine), nn.ReLU, nn.ReLU6, nn.Sigmoid, nn.Hardsigmoid, nn.Hardswish,
# nn.SiLU, nn.GELU, nn.Dropout, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d(size)
# (global_avgpool: size 1), nn.Flatten, nn.ChannelShuffle, nn.ConvTranspose2d, nn.Upsample,
# nn.LayerNorm (layernorm channels_last) and LayerNorm2d (channels_first: torchvision's, a
# subclass of nn.LayerNorm calling F.layer_norm between two movedims), and small custom modules
# for add (`x + y`), mul (`x * y`), concat (torch.cat) and channel_split (torch.chunk).
# Hook-based tools (thop, ptflops, torchinfo) depend on that structure; where another structure
# would change a tool's count, the entry says so.


@dataclass(frozen=True)
class Convention:
    """A named set of counting rules, by kind of op and, where a tool singles an op out, by op.

    name       the name on the command line and in output columns
    tool       the call whose total it reproduces ("" for the paper convention)
    package    the tool's distribution (its installed version is checked in the tests), or ""
    version    the version the rules were read from and tested against
    unit       what one count is
    summary    how it differs from the paper convention, in a few words
    kinds      op kind (cost.ops.base.KINDS) -> Rule (cost.conventions.counting); read-only
    overrides  registered op name -> Rule, before its kind's; read-only

    >>> CONVENTIONS["thop"].line()[:61]
    "convention thop: multiply-adds (thop's 'MACs'); conv + linear"
    """

    name: str
    tool: str
    package: str
    version: str
    unit: str
    summary: str
    kinds: Mapping[str, Rule]
    overrides: Mapping[str, Rule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for attribute in ("kinds", "overrides"):  # read-only
            object.__setattr__(self, attribute, MappingProxyType(dict(getattr(self, attribute))))

    def rule(self, op: str, kind: str) -> Rule | None:
        """The rule for op `op` of kind `kind`: its override, else its kind's; None without."""
        return self.overrides.get(op, self.kinds.get(kind))

    def of(self, layer: Layer) -> sint:
        """The count of one engine layer under this convention."""
        kind = type(layer.node).kind
        rule = self.rule(type(layer.node).name, kind)
        if rule is None:
            raise SpecError(f"op {layer.op!r} has no rule in convention {self.name!r}",
                            where=layer.path,
                            hint=f"add its kind {kind!r} to every table in "
                                 "cost/conventions/tools.py")
        return normalize(rule(layer))

    def line(self) -> str:
        """One line naming the convention, for output next to its numbers."""
        source = f"; reproduces {self.package} {self.version}: {self.tool}" if self.tool else ""
        return f"convention {self.name}: {self.unit}; {self.summary}{source}"


PAPER = Convention(
    "paper", "", "", "", "multiply-adds (1 per multiply-add)",
    "conv + linear only (the papers' FLOPs/MAdds; each op's formula in cost.ops)",
    {   # every kind: the op's own madds (Op.madds), which are 0 but for contractions
        "contraction": own_madds,          # cost.ops.conv.Conv.madds, cost.ops.conv.Linear.madds
        "norm": own_madds,                 # 0: folded into the conv before it at inference
        "activation": own_madds,           # 0: activations: no multiply-add
        "pool": own_madds,                 # 0: maxpool: comparisons; avgpool: adds and one
        "adaptive_pool": own_madds,        # divide per output: not multiply-adds
        "global_pool": own_madds,
        "elementwise_binary": own_madds,   # 0: an add or a multiply alone is not a multiply-add
        "data_movement": own_madds,        # 0: data movement (concat, channel_split, shuffle)
        "view": own_madds,                 # 0: a view; the identity at inference (dropout)
        "resample": own_madds,             # 0: interpolation weights are not a contraction
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
    "conv + linear without bias (0 for padding='same'), BN 2/element, LayerNorm 5/element, "
    "adaptive avg-pool 1/input element, upsample 1 (nearest) or 4 (bilinear)/output element",
    {
        # conv: jit_handles.conv_flop_jit (aten::_convolution) -> conv_flop_count: batch ·
        # prod(w_shape) · prod(out_spatial); transposed (conv_transpose): prod(in_spatial)
        # instead; linear: jit_handles.linear_flop_jit (aten::linear): prod(input_shape) ·
        # out_features; no bias. All are the op's own madds
        "contraction": own_madds,
        # jit_handles.batchnorm_flop_jit, eval: numel(input) · (2 if affine else 1)
        # (layernorm: below)
        "norm": times(2, in_numel),
        # aten::adaptive_avg_pool2d (flop_count.py): elementwise_flop_counter(1, 0) = 1 per
        # input element, whatever the output size (overlapping bins count their inputs once);
        # a global pool written as x.mean((2, 3)) would be aten::mean: unsupported, 0
        "adaptive_pool": in_numel,
        "global_pool": in_numel,
        # relu: aten::relu is in _IGNORED_OPS; relu6: nn.ReLU6 traces to aten::hardtanh:
        # unsupported, 0; sigmoid: aten::sigmoid: unsupported, 0; hard_sigmoid:
        # aten::hardsigmoid: unsupported, 0; hard_swish: aten::hardswish: unsupported, 0;
        # silu: aten::silu, gelu: aten::gelu: unsupported, 0
        "activation": zero,
        "pool": zero,                # aten::max_pool2d, aten::avg_pool2d: unsupported, 0
        "elementwise_binary": zero,  # aten::add, aten::mul: unsupported, 0
        # concat: aten::cat is in _IGNORED_OPS; channel_split: aten::chunk is in _IGNORED_OPS;
        # channel_shuffle: aten::channel_shuffle: unsupported, 0
        "data_movement": zero,
        "view": zero,                # aten::flatten, aten::dropout are in _IGNORED_OPS
        # flop_count.py: aten::upsample_nearest2d: elementwise_flop_counter(0, 1), 1 per output
        # element; aten::upsample_bilinear2d: elementwise_flop_counter(0, 4), 4 per output
        "resample": by_variant({"nearest": out_numel, "bilinear": times(4, out_numel)}),
    },
    {
        # aten::layer_norm: norm_flop_counter(2): numel(input) · (5 if the weight (input 2) is
        # given else 4), both forms (the movedims of LayerNorm2d: aten::movedim, unsupported, 0)
        "layernorm": times(5, in_numel),
        # conv with pad: same is nn.Conv2d(padding="same"), which traces to
        # aten::_convolution_mode, not aten::_convolution: unsupported, 0
        "conv": by_variant({"": own_madds, "pad_same": zero}),
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
    "conv + linear without bias, BN and LayerNorm 4/element, avg-pool window adds + 1 divide "
    "per output, bilinear upsample 11/output element",
    {
        # conv: count_convNd -> calc_func.calculate_conv2d_flops: out.numel · (cin // g) ·
        # prod(k); conv_transpose: count_convtNd, the same with transpose=True: in.numel ·
        # (cout // g) · prod(k); linear: count_linear: in_features · y.numel(); the bias add is
        # not counted. All are the op's own madds
        "contraction": own_madds,
        # count_normalization (on _NormBase: BatchNorm1d/2d; and nn.LayerNorm, matched through
        # the MRO, so LayerNorm2d too): calculate_norm = 2·numel, ×2 when affine or
        # elementwise_affine
        "norm": times(4, in_numel),
        # count_adap_avgpool: one add per pooled input, walking the bins AdaptiveAvgPool slices
        # ([j·I // O, ceil((j+1)·I / O)) per axis; overlapping bins count an input once each),
        # + one divide per output (y.numel())
        "adaptive_pool": plus(adaptive_pooled_inputs, out_numel),
        # the same with a 1×1 output: one bin, the whole map (x.mean((2, 3)) would count 0)
        "global_pool": plus(in_numel, out_numel),
        # register_hooks: nn.ReLU, nn.ReLU6 -> zero_ops; nn.Sigmoid: no rule, 0;
        # nn.Hardsigmoid, nn.Hardswish, nn.SiLU, nn.GELU: no rule, 0 ("want formulas",
        # profile.py)
        "activation": zero,
        "pool": zero,                 # nn.MaxPool2d -> zero_ops (avgpool: below)
        # nn.modules.dropout._DropoutNd -> zero_ops; nn.Flatten -> zero_ops
        "view": zero,
        # nn.ChannelShuffle -> zero_ops; translator's custom modules (concat, channel_split) have
        # no rule, and torch.cat / torch.chunk are not in functional_hooks: 0
        "data_movement": zero,
        # translator's custom modules have no rule, and Tensor.__add__ / __mul__ are not in
        # functional_hooks: 0 (torch.add would be 0 too)
        "elementwise_binary": zero,
        # nn.Upsample -> count_upsample: ops_per_element by mode (nearest 0, bilinear 11) ·
        # y.nelement()
        "resample": by_variant({"nearest": zero, "bilinear": times(11, out_numel)}),
    },
    {
        # count_avgpool: n·c · Σ window sizes (padding included) + y.numel() (one divide each)
        "avgpool": plus(pooled_inputs, out_numel),
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
# pool_flops_counter_hook (input numel; MODULES_MAPPING has nn.MaxPool2d, nn.AvgPool2d
# and nn.AdaptiveAvgPool2d) + patched F.max_pool2d / F.avg_pool2d /
# F.adaptive_avg_pool2d (input numel); x.mean((2, 3)) instead would count 0
_PTFLOPS_POOL = plus(per_image(in_numel), in_numel)
PTFLOPS = Convention(
    "ptflops", "get_model_complexity_info(model, input_res)[0], pytorch backend",
    "ptflops", "0.7.5", "multiply-adds per image (ptflops' 'MACs')",
    "conv + linear with bias adds, BN 2/element, ReLU, GELU and every pooling 2/input element "
    "(module hook + patched function), ReLU6 and SiLU 1/element, nn.LayerNorm 1/element "
    "(LayerNorm2d 0), upsample ~1/output element",
    {
        # conv: conv_flops_counter_hook: k²·cin·(cout/g)·n·h'·w' + n·cout·h'·w' with a bias;
        # linear: linear_flops_counter_hook: (fin·out + out with bias) · prod(input.shape[:-1]);
        # F.linear's patch is commented out in patch_functional
        "contraction": per_image(plus(own_madds, bias_adds)),
        # bn_flops_counter_hook: numel(input) · 2 (affine) (layernorm: below)
        "norm": per_image(times(2, in_numel)),
        "pool": _PTFLOPS_POOL,
        "adaptive_pool": _PTFLOPS_POOL,
        "global_pool": _PTFLOPS_POOL,
        # sigmoid, hard_sigmoid, hard_swish: not in MODULES_MAPPING; torch.sigmoid,
        # F.hardsigmoid, F.hardswish are not patched (relu, relu6, silu, gelu: below)
        "activation": zero,
        # the translator's `x + y` / `x * y` call Tensor.__add__ / __mul__, which are not
        # patched: 0. torch.add(x, y) or x.add(y) would count the broadcast numel (per batch)
        "elementwise_binary": zero,
        # torch.cat, torch.chunk, nn.ChannelShuffle, nn.Flatten, nn.Dropout: no hook, no patch
        "data_movement": zero,
        "view": zero,
        # nn.Upsample -> upsample_flops_counter_hook, which takes output[0] (the first image)
        # for the output and multiplies its dimensions: out numel / n, then averaged over the
        # batch like every hook: / n again; + nn.Upsample.forward calls F.interpolate, patched
        # (_interpolate_functional_flops_hook: prod(size)·n·c, or input numel · scale², = the
        # output numel), not averaged. Either mode
        "resample": plus(per_image(per_image(out_numel)), out_numel),
    },
    {
        # relu_flops_counter_hook (output numel) + patched F.relu (_numel_functional_flops_hook)
        "relu": plus(per_image(out_numel), in_numel),
        # relu_flops_counter_hook only: ReLU6 -> F.hardtanh is not patched
        "relu6": per_image(out_numel),
        # MODULES_MAPPING[nn.GELU] = relu_flops_counter_hook + patched F.gelu, as relu
        "gelu": plus(per_image(out_numel), in_numel),
        # nn.SiLU is not in MODULES_MAPPING, but its forward calls F.silu, patched
        # (_numel_functional_flops_hook): input numel, not averaged
        "silu": in_numel,
        # nn.LayerNorm -> bn_flops_counter_hook: numel(input), doubled only `if
        # hasattr(module, "affine")`, which LayerNorm lacks (it has elementwise_affine); hooks
        # match type(module) exactly, so LayerNorm2d (channels_first) gets none, and
        # F.layer_norm is not patched: 0
        "layernorm": by_variant({"channels_last": per_image(in_numel), "channels_first": zero}),
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
        # conv, conv_transpose ("Conv" in the class name): (weight + bias numel) · n·h'·w', for
        # conv its madds + bias adds, for conv_transpose its weights at each OUTPUT position;
        # linear: output[0] · (fin·out + out) = n · params, which is prod(output[:1] +
        # output[2:]) for an (n, out) output
        "contraction": params_per_position,
        # bn: n · 2c (scale and shift); layernorm: n · 2d (weight and bias)
        "norm": batch_params,
        # no parameters: 0
        "activation": zero, "pool": zero, "adaptive_pool": zero, "global_pool": zero,
        "elementwise_binary": zero, "data_movement": zero, "view": zero, "resample": zero,
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
        # conv: conv_flop_count: 2 · batch · prod(out_spatial) · prod(k) · cout · cin/g; bias
        # ignored; transposed (conv_transpose): prod(in_spatial) instead of out, = 2 · its own
        # madds; linear: addmm_flop = mm_flop: 2·m·n·k; the bias of addmm is ignored
        "contraction": times(FLOPS_PER_MADD, own_madds),
        # not in flop_registry (aten::adaptive_avg_pool2d, layer_norm, upsample_* neither): 0
        "norm": zero, "activation": zero, "pool": zero, "adaptive_pool": zero,
        "global_pool": zero, "elementwise_binary": zero, "data_movement": zero, "view": zero,
        "resample": zero,
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


def gaps(conventions: Iterable[Convention] | None = None) -> list[str]:
    """Why the conventions do not yet count every registered op, one line each (empty when they
    do): an op whose kind has no rule (and no override) in a convention, a kind of
    `cost.ops.base.KINDS` missing from a convention's table, an override naming no registered
    op. tests/test_conventions.py keeps this empty.

    >>> gaps()
    []
    """
    from cost.ops import registry
    from cost.ops.base import KINDS

    found = []
    for c in CONVENTIONS.values() if conventions is None else conventions:
        for name in registry.names():
            kind = registry.get(name).kind
            if c.rule(registry.get(name).name, kind) is None:
                found.append(f"op {name!r} (kind {kind!r}) has no rule in convention {c.name!r}")
        found += [f"kind {kind!r} has no rule in convention {c.name!r}"
                  for kind in KINDS if kind not in c.kinds]
        found += [f"convention {c.name!r} has a rule for {kind!r}, which is no kind"
                  for kind in c.kinds if kind not in KINDS]
        found += [f"convention {c.name!r} overrides {op!r}, which is no registered op"
                  for op in c.overrides if not registry.is_registered(op)]
    return found
