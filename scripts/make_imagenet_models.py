#!/usr/bin/env python3
"""Writes the ImageNet models under models/imagenet/ (see models/imagenet/README.md).

For each ImageNet network of the HWGQ paper (Cai et al., CVPR 2017), built as the
authors' Caffe fork (zhaoweicai/hwgq) builds it, two variants are written, each as
train_val.prototxt, solver.prototxt and deploy.prototxt:

  hwgq/  binary weights (alpha * sign(W) per output channel) and 2-bit HWGQ activations:
         every binary layer reads a Quant layer (forward "hwgq", centers 0.538 1.076 1.614,
         backward clipped ReLU at 1.614) fed by a BatchNorm without affine part, because the
         fixed levels assume an ~N(0, 1) input. The first convolution and the last
         classifier stay full precision. Layer names, order and weight shapes match the
         authors' files, so their released *_HWGQ.caffemodel weights load by name.
  fp/    the same graph in full precision: plain Convolution / InnerProduct, a ReLU where
         hwgq has a Quant layer, and every BatchNorm followed by a learned Scale (bias),
         the usual form of a full-precision BN net.

    python3 scripts/make_imagenet_models.py            # rewrites models/imagenet/
    python3 scripts/make_imagenet_models.py --check    # exits 1 if a file would change

Only the Python standard library is used.
"""
import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "models/imagenet"
TRAIN_LMDB = "data/imagenet/ilsvrc12_train_lmdb"
VAL_LMDB = "data/imagenet/ilsvrc12_val_lmdb"
VAL_IMAGES = 50000
MEAN_BGR = (104, 117, 123)
HWGQ_CENTERS = (0.538, 1.076, 1.614)
HWGQ_CLIP = 1.614


class Enum(str):
    """A protobuf enum value: written without quotes."""


def fmt_scalar(value):
    if isinstance(value, Enum):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, float):
        return repr(value)
    return str(value)


def fmt_message(fields, indent):
    """Text-format lines for a list of (key, value) fields; a value that is a list is a
    nested message, written on one line when short and flat."""
    lines = []
    pad = "  " * indent
    for key, value in fields:
        if isinstance(value, list):
            flat = all(not isinstance(v, list) for _, v in value)
            inline = pad + key + " { " + " ".join(f"{k}: {fmt_scalar(v)}" for k, v in value) + " }"
            if flat and len(inline) <= 96:
                lines.append(inline)
            else:
                lines.append(pad + key + " {")
                lines.extend(fmt_message(value, indent + 1))
                lines.append(pad + "}")
        else:
            lines.append(f"{pad}{key}: {fmt_scalar(value)}")
    return lines


def filler(kind, **extra):
    return [("type", kind)] + [(k, v) for k, v in extra.items()]


class NetWriter:
    """Collects the layers of one net in one variant (hwgq or fp) and one form (train_val
    or deploy). Each method adds layers and returns the name of the blob they produce."""

    def __init__(self, hwgq, deploy):
        self.hwgq = hwgq
        self.deploy = deploy
        self.layers = []

    # -- parameter specs ------------------------------------------------------------
    def params(self, bias):
        if self.deploy:
            return []
        specs = [("param", [("lr_mult", 1), ("decay_mult", 1)])]
        if bias:
            specs.append(("param", [("lr_mult", 2), ("decay_mult", 0)]))
        return specs

    def _add(self, name, kind, bottoms, tops, param_specs, *fields):
        layer = [("name", name), ("type", kind)]
        layer += [("bottom", b) for b in bottoms] + [("top", t) for t in tops]
        layer += param_specs
        layer += [f for f in fields if f is not None]
        self.layers.append(layer)

    # -- layers ---------------------------------------------------------------------
    def conv(self, name, bottom, num, kernel, stride=1, pad=0, binary=True, bias=False, weight_filler=None):
        """A convolution; `binary` ones become BinaryConvolution in the hwgq variant."""
        conv_param = [("num_output", num), ("kernel_size", kernel)]
        if pad:
            conv_param.append(("pad", pad))
        if stride != 1:
            conv_param.append(("stride", stride))
        if not bias:
            conv_param.append(("bias_term", False))
        if not self.deploy:
            conv_param.append(("weight_filler", weight_filler))
            if bias:
                conv_param.append(("bias_filler", filler("constant", value=0)))
        binarized = binary and self.hwgq
        self._add(name, "BinaryConvolution" if binarized else "Convolution", [bottom], [name],
                              self.params(bias), ("convolution_param", conv_param),
                              ("binary_convolution_param", [("use_alpha", True)]) if binarized else None)
        return name

    def fc(self, name, bottom, num, binary=True, bias=False, weight_filler=None):
        ip_param = [("num_output", num)]
        if not bias:
            ip_param.append(("bias_term", False))
        if not self.deploy:
            ip_param.append(("weight_filler", weight_filler))
            if bias:
                ip_param.append(("bias_filler", filler("constant", value=0)))
        binarized = binary and self.hwgq
        self._add(name, "BinaryInnerProduct" if binarized else "InnerProduct", [bottom], [name],
                              self.params(bias), ("inner_product_param", ip_param),
                              ("binary_inner_product_param", [("use_alpha", True)]) if binarized else None)
        return name

    def pool(self, name, bottom, method, kernel, stride):
        self._add(name, "Pooling", [bottom], [name], [],
                              ("pooling_param", [("pool", Enum(method)), ("kernel_size", kernel), ("stride", stride)]))
        return name

    def batch_norm(self, name, bottom, top=None):
        """BatchNorm without affine part; in place unless `top` is given. Its three
        statistics blobs are not learned (lr_mult 0)."""
        top = top or bottom
        if self.deploy:
            self._add(name, "BatchNorm", [bottom], [top], [],
                                  ("batch_norm_param", [("use_global_stats", True)]))
        else:
            self._add(name, "BatchNorm", [bottom], [top], [("param", [("lr_mult", 0)])] * 3,
                                  ("batch_norm_param", [("moving_average_fraction", 0.95)]))
        return top

    def scale(self, name, blob):
        self._add(name, "Scale", [blob], [blob], [], ("scale_param", [("bias_term", True)]))
        return blob

    def norm(self, name, bottom, top=None):
        """The normalisation in front of an activation: BatchNorm alone in hwgq (the
        quantizer needs N(0, 1)), BatchNorm + Scale in fp."""
        top = self.batch_norm(name, bottom, top)
        if not self.hwgq:
            self.scale(name.replace("bn", "scale", 1), top)
        return top

    def norm_affine(self, name, scale_name, bottom):
        """BatchNorm + Scale in both variants (the residual branch ends, the last block)."""
        self.batch_norm(name, bottom)
        return self.scale(scale_name, bottom)

    def act(self, name, bottom):
        """The activation in front of a binary layer: the 2-bit HWGQ quantizer, or a ReLU
        in fp. Its output is a new blob, so a normalised blob used elsewhere too (a
        residual identity) keeps its value."""
        if self.hwgq:
            quant = [("forward_func", "hwgq"), ("backward_func", "relu")]
            quant += [("centers", c) for c in HWGQ_CENTERS] + [("clip_thr", HWGQ_CLIP)]
            self._add(name, "Quant", [bottom], [name], [], ("quant_param", quant))
            return name
        name = name.replace("qt", "relu", 1)
        self._add(name, "ReLU", [bottom], [name], [])
        return name

    def relu(self, name, blob):
        """An in-place ReLU that is not a quantizer's stand-in. In fp a stand-in may already
        use the name (VGG's relu6 in front of fc6, DarkNet's relu6_5): this one then gets
        a "_final" suffix."""
        if any(("name", name) in layer for layer in self.layers):
            name += "_final"
        self._add(name, "ReLU", [blob], [blob], [])
        return blob

    def eltwise_sum(self, name, a, b):
        self._add(name, "Eltwise", [a, b], [name], [])
        return name

    def concat(self, name, bottoms):
        self._add(name, "Concat", bottoms, [name], [])
        return name

    def text(self):
        out = []
        for layer in self.layers:
            out.append("layer {")
            out.extend(fmt_message(layer, 1))
            out.append("}")
        return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------
# The networks, as the authors' train_val.prototxt files build them.
# Each body takes a NetWriter and the data blob and returns the logits blob.

def alexnet(n, data):
    """AlexNet with BN, no LRN, groups or dropout: conv1 -> pool -> [BN Q BinConv] x4 with
    pools after conv2 and conv5 -> BN Q fc6 -> BN Q fc7 -> BN ReLU fc8."""
    gauss = filler("gaussian", std=0.01)
    x = n.conv("conv1", data, 96, 11, stride=4, binary=False, weight_filler=gauss)
    x = n.pool("pool1", x, "MAX", 3, 2)
    x = n.conv("conv2", n.act("qt2", n.norm("bn2", x)), 256, 5, pad=2, weight_filler=gauss)
    x = n.pool("pool2", x, "MAX", 3, 2)
    x = n.conv("conv3", n.act("qt3", n.norm("bn3", x)), 384, 3, pad=1, weight_filler=gauss)
    x = n.conv("conv4", n.act("qt4", n.norm("bn4", x)), 384, 3, pad=1, weight_filler=gauss)
    x = n.conv("conv5", n.act("qt5", n.norm("bn5", x)), 256, 3, pad=1, weight_filler=gauss)
    x = n.pool("pool5", x, "MAX", 3, 2)
    x = n.fc("fc6", n.act("qt6", n.norm("bn6", x)), 4096, weight_filler=filler("gaussian", std=0.005))
    x = n.fc("fc7", n.act("qt7", n.norm("bn7", x)), 4096, weight_filler=filler("gaussian", std=0.005))
    x = n.relu("relu8", n.norm("bn8", x))
    return n.fc("fc8", x, 1000, binary=False, bias=True, weight_filler=gauss)


def resnet(stages, bottleneck):
    """ResNet-18/34 (basic blocks) or ResNet-50 (bottlenecks), pre-activation style:
    each binary conv reads BN -> Q; a branch ends in BN + Scale and is added to the
    un-normalised identity. A block that changes shape gets a binary 1x1 projection
    (stride 2 from stage 3 on) that shares the quantized input of the branch."""
    def body(n, data):
        msra = filler("msra")
        x = n.conv("conv1", data, 64, 7, stride=2, pad=3, binary=False, bias=True, weight_filler=msra)
        x = n.pool("pool1", x, "MAX", 3, 2)
        x = n.norm("bn1", x)
        identity, prev = x, None  # prev: the name of the block that produced x
        width = 64
        for stage, blocks in enumerate(stages, start=2):
            for index in range(blocks):
                block = f"{stage}{chr(ord('a') + index)}"
                out_channels = width * 4 if bottleneck else width
                stride = 2 if stage > 2 and index == 0 else 1
                project = index == 0 and (stage > 2 or bottleneck)
                convs = ([(width, 1, 0), (width, 3, 1), (out_channels, 1, 0)] if bottleneck
                         else [(width, 3, 1), (out_channels, 3, 1)])
                letters = "abc"
                if project:
                    # The previous sum (or pool1) is normalised in place and quantized once
                    # for both the projection and the branch.
                    if prev is not None:
                        n.norm(f"bn{prev}", x)
                    q = n.act(f"qt{prev}" if prev else "qt1", x)
                    shortcut = n.conv(f"res{block}_branch1", q, out_channels, 1, stride=stride, weight_filler=msra)
                    n.norm_affine(f"bn{block}_branch1", f"scale{block}_branch1", shortcut)
                elif index == 0:
                    # First block of stage 2 without projection: pool1 (normalised) is the identity.
                    shortcut = x
                    q = n.act(f"qt{block}_branch2a", x)
                else:
                    shortcut = x
                    q = n.act(f"qt{block}_branch2a", n.norm(f"bn{block}_branch2a", x, top=f"bn{block}_branch2a"))
                y = None
                for k, (num, kernel, pad) in enumerate(convs):
                    if k > 0:
                        q = n.act(f"qt{block}_branch2{letters[k]}", n.norm(f"bn{block}_branch2{letters[k]}", y))
                    y = n.conv(f"res{block}_branch2{letters[k]}", q, num, kernel, stride=stride if k == 0 else 1,
                               pad=pad, weight_filler=msra)
                last = letters[len(convs) - 1]
                n.norm_affine(f"bn{block}_branch2{last}_end", f"scale{block}_branch2{last}_end", y)
                x = n.eltwise_sum(f"res{block}", shortcut, y)
                prev = block
            width *= 2
        x = n.relu(f"relu{prev}", x)
        x = n.pool("pool5", x, "AVE", 7, 1)
        return n.fc("fc1000", x, 1000, binary=False, bias=True, weight_filler=msra)
    return body


def vgg_variant(n, data):
    """The paper's VGG variant: conv1 7x7/2 96 + ReLU -> pool -> 3 stages of three binary
    3x3 convs (256, 512, 512) each ending in a 2x2 pool -> fc5 4096 -> fc6 4096 -> fc7."""
    msra = filler("msra")
    x = n.conv("conv1", data, 96, 7, stride=2, pad=3, binary=False, weight_filler=msra)
    x = n.relu("relu1", x)
    x = n.pool("pool1", x, "MAX", 2, 2)
    bn = "bn1"
    for stage, width in ((2, 256), (3, 512), (4, 512)):
        for k in (1, 2, 3):
            x = n.conv(f"conv{stage}_{k}", n.act(f"qt{stage}_{k}", n.norm(bn, x)), width, 3, pad=1,
                       weight_filler=msra)
            bn = f"bn{stage}_{k}"
        x = n.pool(f"pool{stage}", x, "MAX", 2, 2)
    x = n.fc("fc5", n.act("qt5", n.norm(bn, x)), 4096, weight_filler=msra)
    x = n.fc("fc6", n.act("qt6", n.norm("bn5", x)), 4096, weight_filler=msra)
    x = n.relu("relu6", n.norm("bn6", x))
    return n.fc("fc7", x, 1000, binary=False, bias=True, weight_filler=msra)


# (name, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5): the authors' variant folds GoogLeNet's
# pool projection into the 1x1 branch, so each module keeps the original width.
INCEPTIONS = [
    ("3a", 96, 128, 128, 32, 32), ("3b", 192, 192, 192, 96, 96),
    ("4a", 256, 208, 208, 48, 48), ("4b", 224, 224, 224, 64, 64), ("4c", 192, 256, 256, 64, 64),
    ("4d", 176, 288, 288, 64, 64), ("4e", 384, 320, 320, 128, 128),
    ("5a", 384, 320, 320, 128, 128), ("5b", 512, 384, 384, 128, 128),
]


def googlenet(n, data):
    """GoogLeNet variant: 1x1, 3x3-reduce -> 3x3 and 5x5-reduce -> 5x5 branches (no pool
    projection, no auxiliary heads); one quantizer feeds the 1x1 and both reduce convs,
    and each concatenated output is normalised (after the pool where one follows)."""
    xavier = filler("xavier")
    x = n.conv("conv1/7x7_s2", data, 64, 7, stride=2, pad=3, binary=False, weight_filler=xavier)
    x = n.pool("pool1/3x3_s2", x, "MAX", 3, 2)
    x = n.norm("pool1/bn_3x3", x)
    x = n.conv("conv2/3x3_reduce", n.act("conv2/qt_3x3_reduce", x), 192, 1, weight_filler=xavier)
    x = n.conv("conv2/3x3", n.act("conv2/qt_3x3", n.norm("conv2/bn_3x3_reduce", x)), 192, 3, pad=1,
               weight_filler=xavier)
    x = n.pool("pool2/3x3_s2", x, "MAX", 3, 2)
    x = n.norm("pool2/bn_3x3", x)
    for name, n1, n3r, n3, n5r, n5 in INCEPTIONS:
        m = f"inception_{name}"
        q = n.act(f"{m}/qt", x)
        b1 = n.conv(f"{m}/1x1", q, n1, 1, weight_filler=xavier)
        r3 = n.conv(f"{m}/3x3_reduce", q, n3r, 1, weight_filler=xavier)
        b3 = n.conv(f"{m}/3x3", n.act(f"{m}/qt_3x3", n.norm(f"{m}/bn_3x3_reduce", r3)), n3, 3, pad=1,
                    weight_filler=xavier)
        r5 = n.conv(f"{m}/5x5_reduce", q, n5r, 1, weight_filler=xavier)
        b5 = n.conv(f"{m}/5x5", n.act(f"{m}/qt_5x5", n.norm(f"{m}/bn_5x5_reduce", r5)), n5, 5, pad=2,
                    weight_filler=xavier)
        x = n.concat(f"{m}/output", [b1, b3, b5])
        if name in ("3b", "4e"):
            stage = 3 if name == "3b" else 4
            x = n.pool(f"pool{stage}/3x3_s2", x, "MAX", 3, 2)
            x = n.norm(f"pool{stage}/bn_3x3", x)
        elif name == "5b":
            n.norm_affine(f"{m}/bn_output", f"{m}/scale_output", x)
            x = n.relu(f"{m}/relu_output", x)
        else:
            x = n.norm(f"{m}/bn_output", x)
    x = n.pool("pool5/7x7_s1", x, "AVE", 7, 1)
    return n.fc("classifier", x, 1000, binary=False, bias=True, weight_filler=xavier)


def darknet19(n, data):
    """DarkNet-19 as the authors train it: 3x3 convs only (32, 64, 128-64-128,
    256-128-256, 512-256-512-256-512, 1024-512-1024-512-1024) with 2x2 pools between
    stages, then BN + Scale + ReLU -> global average pool -> fc 1000."""
    msra = filler("msra")
    x = n.conv("conv1", data, 32, 3, pad=1, binary=False, weight_filler=msra)
    x = n.pool("pool1", x, "MAX", 2, 2)
    bn, qt = "bn1", "qt2"
    x = n.conv("conv2", n.act(qt, n.norm(bn, x)), 64, 3, pad=1, weight_filler=msra)
    x = n.pool("pool2", x, "MAX", 2, 2)
    bn = "bn2"
    stages = [(3, (128, 64, 128)), (4, (256, 128, 256)), (5, (512, 256, 512, 256, 512)),
              (6, (1024, 512, 1024, 512, 1024))]
    for stage, widths in stages:
        for k, width in enumerate(widths, start=1):
            x = n.conv(f"conv{stage}_{k}", n.act(f"qt{stage}_{k}", n.norm(bn, x)), width, 3, pad=1,
                       weight_filler=msra)
            bn = f"bn{stage}_{k}"
        if stage < 6:
            x = n.pool(f"pool{stage}", x, "MAX", 2, 2)
    n.norm_affine(bn, "scale6_5", x)
    x = n.relu("relu6_5", x)
    x = n.pool("pool6", x, "AVE", 7, 1)
    return n.fc("fc7", x, 1000, binary=False, bias=True, weight_filler=msra)


# ---------------------------------------------------------------------------------------
# Per-net settings, from the authors' train_val.prototxt and solver.prototxt files: title,
# builder, crop, per-GPU batch, GPU count (here iter_size), test batch, and the solver.
NETS = {
    "alexnet": dict(title="AlexNet (with BN)", body=alexnet, crop=227, batch=128, gpus=2, test_batch=50,
                    solver=dict(base_lr=0.02, policy="poly", max_iter=320000, weight_decay="0.0005",
                                test_interval=1000)),
    "resnet18": dict(title="ResNet-18", body=resnet([2, 2, 2, 2], False), crop=224, batch=64, gpus=4,
                     test_batch=25, solver=dict(base_lr=0.1, policy="poly", max_iter=320000,
                                                weight_decay="0.00005", test_interval=2000)),
    "resnet34": dict(title="ResNet-34", body=resnet([3, 4, 6, 3], False), crop=224, batch=64, gpus=4,
                     test_batch=10, solver=dict(base_lr=0.1, policy="poly", max_iter=320000,
                                                weight_decay="0.00005", test_interval=2000)),
    "resnet50": dict(title="ResNet-50", body=resnet([3, 4, 6, 3], True), crop=224, batch=16, gpus=8,
                     test_batch=25, solver=dict(base_lr=0.1, policy="poly", max_iter=640000,
                                                weight_decay="0.00005", test_interval=None)),
    "vgg_variant": dict(title="VGG-Variant", body=vgg_variant, crop=224, batch=64, gpus=2, test_batch=25,
                        solver=dict(base_lr=0.01, policy="poly", max_iter=640000, weight_decay="0.0005",
                                    test_interval=None)),
    "googlenet": dict(title="GoogLeNet (HWGQ variant)", body=googlenet, crop=224, batch=64, gpus=4,
                      test_batch=50, solver=dict(base_lr=0.1, policy="poly", max_iter=320000,
                                                 weight_decay="0.00005", test_interval=2000)),
    "darknet19": dict(title="DarkNet-19 (3x3 convs only)", body=darknet19, crop=224, batch=64, gpus=4,
                      test_batch=25, solver=dict(base_lr=0.1, policy="poly", max_iter=320000,
                                                 weight_decay="0.00005", test_interval=2000)),
}

VARIANTS = {
    "hwgq": ("HWGQ", "binary weights (alpha * sign(W) per output channel) and 2-bit HWGQ activations "
                     "(clipped-ReLU backward); first conv and last fc in full precision"),
    "fp": ("FP", "full precision, the hwgq graph with plain conv/fc, a ReLU for each quantizer and "
                 "BN + Scale"),
}


def data_layer(phase, crop, batch):
    train = phase == "TRAIN"
    transform = [("mirror", train), ("crop_size", crop)] + [("mean_value", v) for v in MEAN_BGR]
    return [("name", "data"), ("type", "Data"), ("top", "data"), ("top", "label"),
            ("include", [("phase", Enum(phase))]),
            ("transform_param", transform),
            ("data_param", [("source", TRAIN_LMDB if train else VAL_LMDB), ("batch_size", batch),
                            ("backend", Enum("LMDB"))])]


def header(net, variant, form):
    spec = NETS[net]
    tag, summary = VARIANTS[variant]
    lines = [f"# {spec['title']} on ImageNet, {tag}: {summary}.",
             "# Written by scripts/make_imagenet_models.py (edit the script, not this file); "
             "see models/imagenet/README.md."]
    if form == "train_val":
        lines.append(f"# Data: {TRAIN_LMDB} and {VAL_LMDB} (256x256 images, relative to the repository root), "
                     f"{spec['crop']}x{spec['crop']} crops.")
    return "\n".join(lines) + "\n"


def net_text(net, variant, form):
    spec = NETS[net]
    deploy = form == "deploy"
    writer = NetWriter(hwgq=variant == "hwgq", deploy=deploy)
    name = f"{net}-{variant}"
    if deploy:
        writer.layers.append([("name", "data"), ("type", "Input"), ("top", "data"),
                              ("input_param", [("shape", [("dim", 1), ("dim", 3), ("dim", spec["crop"]),
                                                          ("dim", spec["crop"])])])])
    else:
        writer.layers.append(data_layer("TRAIN", spec["crop"], spec["batch"]))
        writer.layers.append(data_layer("TEST", spec["crop"], spec["test_batch"]))
    logits = spec["body"](writer, "data")
    if deploy:
        writer.layers.append([("name", "prob"), ("type", "Softmax"), ("bottom", logits), ("top", "prob")])
    else:
        writer.layers.append([("name", "loss"), ("type", "SoftmaxWithLoss"), ("bottom", logits),
                              ("bottom", "label"), ("top", "loss")])
        for k in (1, 5):
            layer = [("name", f"accuracy_top{k}"), ("type", "Accuracy"), ("bottom", logits), ("bottom", "label"),
                     ("top", f"accuracy_top{k}"), ("include", [("phase", Enum("TEST"))])]
            if k != 1:
                layer.append(("accuracy_param", [("top_k", k)]))
            writer.layers.append(layer)
    return header(net, variant, form) + f'name: "{name}"\n' + writer.text()


def solver_text(net, variant):
    spec = NETS[net]
    s = spec["solver"]
    folder = f"models/imagenet/{net}/{variant}"
    effective = spec["batch"] * spec["gpus"]
    lines = [
        f"# {spec['title']} {VARIANTS[variant][0]} on ImageNet: {s['max_iter']:,} iterations of "
        f"{effective} images ({spec['batch']} per pass x iter_size {spec['gpus']},",
        f"# the paper's {spec['gpus']} GPUs x {spec['batch']}: BatchNorm sees {spec['batch']} images, "
        "the update averages all of them).",
        f"# Run from the repository root: build/bin/hwgq train --solver={folder}/solver.prototxt --gpu=0",
        f'net: "{folder}/train_val.prototxt"',
    ]
    test_iter = VAL_IMAGES // spec["test_batch"]
    if s["test_interval"]:
        lines += [f"test_iter: {test_iter}  # {test_iter} x {spec['test_batch']} = the 50,000 validation images",
                  f"test_interval: {s['test_interval']}",
                  "test_initialization: false"]
    else:
        lines += ["# No testing while training (as the authors ran it); evaluate snapshots with",
                  f"# build/bin/hwgq test --model={folder}/train_val.prototxt --weights=W --iterations=0"]
    lines += [f"base_lr: {s['base_lr']}", f'lr_policy: "{s["policy"]}"', "power: 1",
              "momentum: 0.9", f"weight_decay: {s['weight_decay']}",
              f"iter_size: {spec['gpus']}", "display: 100", f"max_iter: {s['max_iter']}", "snapshot: 10000",
              f'snapshot_prefix: "out/imagenet/{net}/{variant}/{net}_{variant}"', "solver_mode: GPU"]
    return "\n".join(lines) + "\n"


def outputs():
    files = {}
    for net in NETS:
        for variant in VARIANTS:
            folder = OUT / net / variant
            for form in ("train_val", "deploy"):
                files[folder / f"{form}.prototxt"] = net_text(net, variant, form)
            files[folder / "solver.prototxt"] = solver_text(net, variant)
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="report files that differ; write nothing")
    args = parser.parse_args()
    stale = []
    for path, text in outputs().items():
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    for path in stale:
        print(("differs: " if args.check else "wrote: ") + str(path.relative_to(ROOT)))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
