#!/usr/bin/env python3
"""Writes bench/nets/alexnet_hwgq.prototxt, bench/nets/resnet18_hwgq.prototxt and
bench/nets/cifar10_vgg_hwgq.prototxt: the paper's ImageNet AlexNet-BN and ResNet-18 and the
CIFAR-10 VGG with 1-bit weights and 2-bit HWGQ activations (docs/hwgq-paper.md section 3;
the layer order of the authors' train_val files), with an Input layer in place of the LMDB
data layers so the benchmark times training alone.

    python3 bench/nets/make_bench_nets.py [--batch 256]

bench/pytorch_hwgq_nets.py builds the same nets in PyTorch.
"""
import argparse
import os

QUANT = ('quant_param { forward_func: "hwgq" backward_func: "relu" '
         'centers: 0.538 centers: 1.076 centers: 1.614 clip_thr: 1.614 }')
FROZEN = "param { lr_mult: 0 } param { lr_mult: 0 } param { lr_mult: 0 }"


class Net:
    def __init__(self, name):
        self.lines = [f'name: "{name}"']

    def layer(self, name, kind, bottoms, tops, body=""):
        text = [f'layer {{', f'  name: "{name}"', f'  type: "{kind}"']
        text += [f'  bottom: "{b}"' for b in bottoms]
        text += [f'  top: "{t}"' for t in tops]
        if body:
            text += [f"  {line}" for line in body.strip().split("\n")]
        text.append("}")
        self.lines += text

    def input(self, batch, size):
        self.layer("input", "Input", [], ["data", "label"],
                   f"input_param {{ shape {{ dim: {batch} dim: 3 dim: {size} dim: {size} }} shape {{ dim: {batch} }} }}")

    def bn(self, name, bottom, top=None):
        self.layer(name, "BatchNorm", [bottom], [top or bottom],
                   f"{FROZEN}\nbatch_norm_param {{ moving_average_fraction: 0.95 }}")

    def quant(self, name, bottom, top):
        self.layer(name, "Quant", [bottom], [top], QUANT)

    def conv(self, name, bottom, top, out, kernel, stride=1, pad=0, binary=True, bias=False, filler=None):
        body = (f"param {{ lr_mult: 1 decay_mult: 1 }}\n"
                + ("param { lr_mult: 2 decay_mult: 0 }\n" if bias else "")
                + f"convolution_param {{ num_output: {out} kernel_size: {kernel} stride: {stride} pad: {pad} "
                  f"bias_term: {'true' if bias else 'false'} weight_filler {{ {filler} }} }}")
        if binary:
            body += "\nbinary_convolution_param { use_alpha: true }"
        self.layer(name, "BinaryConvolution" if binary else "Convolution", [bottom], [top], body)

    def fc(self, name, bottom, top, out, binary, filler, bias):
        body = (f"param {{ lr_mult: 1 decay_mult: 1 }}\n"
                + ("param { lr_mult: 2 decay_mult: 0 }\n" if bias else "")
                + f"inner_product_param {{ num_output: {out} bias_term: {'true' if bias else 'false'} "
                  f"weight_filler {{ {filler} }} }}")
        if binary:
            body += "\nbinary_inner_product_param { use_alpha: true }"
        self.layer(name, "BinaryInnerProduct" if binary else "InnerProduct", [bottom], [top], body)

    def pool(self, name, bottom, top, method, kernel, stride):
        self.layer(name, "Pooling", [bottom], [top],
                   f"pooling_param {{ pool: {method} kernel_size: {kernel} stride: {stride} }}")

    def text(self):
        return "\n".join(self.lines) + "\n"


def alexnet(batch):
    """conv1 11/4 (full precision, no bias) -> pool -> [BN -> Q -> BinConv] x 4 with pools
    after conv2 and conv5 -> BN -> Q -> BinIP fc6 -> BN -> Q -> BinIP fc7 -> BN -> ReLU ->
    fc8 (full precision)."""
    n = Net("AlexNet-HWGQ")
    n.input(batch, 227)
    g01, g005 = 'type: "gaussian" std: 0.01', 'type: "gaussian" std: 0.005'
    n.conv("conv1", "data", "conv1", 96, 11, stride=4, binary=False, filler=g01)
    n.pool("pool1", "conv1", "pool1", "MAX", 3, 2)
    previous = "pool1"
    for i, (out, kernel, pad, pool) in enumerate([(256, 5, 2, True), (384, 3, 1, False), (384, 3, 1, False),
                                                  (256, 3, 1, True)]):
        k = i + 2
        n.bn(f"bn{k}", previous)
        n.quant(f"qt{k}", previous, f"qt{k}")
        n.conv(f"conv{k}", f"qt{k}", f"conv{k}", out, kernel, pad=pad, filler=g01)
        previous = f"conv{k}"
        if pool:
            n.pool(f"pool{k}", previous, f"pool{k}", "MAX", 3, 2)
            previous = f"pool{k}"
    for k, fc in [(6, "fc6"), (7, "fc7")]:
        n.bn(f"bn{k}", previous)
        n.quant(f"qt{k}", previous, f"qt{k}")
        n.fc(fc, f"qt{k}", fc, 4096, binary=True, filler=g005, bias=False)
        previous = fc
    n.bn("bn8", previous)
    n.layer("relu8", "ReLU", [previous], [previous])
    n.fc("fc8", previous, "fc8", 1000, binary=False, filler=g01, bias=True)
    n.layer("loss", "SoftmaxWithLoss", ["fc8", "label"], ["loss"])
    return n.text()


def resnet18(batch):
    """conv1 7/2 (full precision, bias) -> pool -> BN; four stages of two basic blocks.
    Block: BN -> Q -> BinConv 3x3 -> BN -> Q -> BinConv 3x3 -> BN -> Scale, summed with the
    shortcut. The first block of stages 3-5 quantizes the previous sum once (BN -> Q) and
    feeds it to both a binary 1x1/2 projection (-> BN -> Scale) and the strided 3x3. End:
    ReLU -> 7x7 average pool -> fc1000 (full precision)."""
    n = Net("ResNet-18-HWGQ")
    n.input(batch, 224)
    msra = 'type: "msra"'
    n.conv("conv1", "data", "conv1", 64, 7, stride=2, pad=3, binary=False, bias=True, filler=msra)
    n.pool("pool1", "conv1", "pool1", "MAX", 3, 2)
    n.bn("bn1", "pool1")
    total = "pool1"  # the running sum (the shortcut)
    for stage, width in [(2, 64), (3, 128), (4, 256), (5, 512)]:
        for block in "ab":
            tag = f"{stage}{block}"
            if block == "a" and stage > 2:
                # The sum of the previous stage, normalised and quantized once for both paths.
                n.bn(f"bn{stage - 1}b", total)
                n.quant(f"qt{stage - 1}b", total, f"qt{stage - 1}b")
                source = f"qt{stage - 1}b"
                n.conv(f"res{tag}_branch1", source, f"res{tag}_branch1", width, 1, stride=2, filler=msra)
                n.bn(f"bn{tag}_branch1", f"res{tag}_branch1")
                n.layer(f"scale{tag}_branch1", "Scale", [f"res{tag}_branch1"], [f"res{tag}_branch1"],
                        "scale_param { bias_term: true }")
                shortcut, stride = f"res{tag}_branch1", 2
            else:
                if tag == "2a":
                    n.quant(f"qt{tag}_branch2a", total, f"qt{tag}_branch2a")
                else:
                    n.bn(f"bn{tag}_branch2a", total, f"bn{tag}_branch2a")
                    n.quant(f"qt{tag}_branch2a", f"bn{tag}_branch2a", f"qt{tag}_branch2a")
                source, shortcut, stride = f"qt{tag}_branch2a", total, 1
            n.conv(f"res{tag}_branch2a", source, f"res{tag}_branch2a", width, 3, stride=stride, pad=1, filler=msra)
            n.bn(f"bn{tag}_branch2b", f"res{tag}_branch2a")
            n.quant(f"qt{tag}_branch2b", f"res{tag}_branch2a", f"qt{tag}_branch2b")
            n.conv(f"res{tag}_branch2b", f"qt{tag}_branch2b", f"res{tag}_branch2b", width, 3, pad=1, filler=msra)
            n.bn(f"bn{tag}_branch2b_end", f"res{tag}_branch2b")
            n.layer(f"scale{tag}_branch2b_end", "Scale", [f"res{tag}_branch2b"], [f"res{tag}_branch2b"],
                    "scale_param { bias_term: true }")
            n.layer(f"res{tag}", "Eltwise", [shortcut, f"res{tag}_branch2b"], [f"res{tag}"])
            total = f"res{tag}"
    n.layer("relu5b", "ReLU", [total], [total])
    n.pool("pool5", total, "pool5", "AVE", 7, 1)
    n.fc("fc1000", "pool5", "fc1000", 1000, binary=False, filler=msra, bias=True)
    n.layer("loss", "SoftmaxWithLoss", ["fc1000", "label"], ["loss"])
    return n.text()


def cifar10_vgg(batch):
    """conv1_1 3x3 128 (full precision) -> BN -> Q -> BinConv 128 -> pool -> [BN -> Q ->
    BinConv] 256, 256 -> pool -> 512, 512 -> BN -> Scale -> ReLU -> pool -> fc4 10 (full
    precision), every convolution 3x3 pad 1 without bias, 2x2 max pools."""
    n = Net("CIFAR10-VGG-HWGQ")
    n.input(batch, 32)
    msra = 'type: "msra"'
    n.conv("conv1_1", "data", "conv1_1", 128, 3, pad=1, binary=False, filler=msra)
    previous = "conv1_1"
    for name, out, pool in [("1_2", 128, True), ("2_1", 256, False), ("2_2", 256, True), ("3_1", 512, False),
                            ("3_2", 512, False)]:
        n.bn(f"bn{name}", previous)
        n.quant(f"qt{name}", previous, f"qt{name}")
        n.conv(f"conv{name}", f"qt{name}", f"conv{name}", out, 3, pad=1, filler=msra)
        previous = f"conv{name}"
        if pool:
            n.pool(f"pool{name[0]}", previous, f"pool{name[0]}", "MAX", 2, 2)
            previous = f"pool{name[0]}"
    n.bn("bn3", previous)
    n.layer("scale3", "Scale", [previous], [previous], "scale_param { bias_term: true }")
    n.layer("relu3", "ReLU", [previous], [previous])
    n.pool("pool3", previous, "pool3", "MAX", 2, 2)
    n.fc("fc4", "pool3", "fc4", 10, binary=False, filler=msra, bias=True)
    n.layer("loss", "SoftmaxWithLoss", ["fc4", "label"], ["loss"])
    return n.text()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    header = ("# Generated by bench/nets/make_bench_nets.py (edit that, not this): the paper's\n"
              "# {} with 1-bit weights and 2-bit HWGQ activations, Input layer for benchmarks.\n")
    for name, build, what in [("alexnet_hwgq", alexnet, "ImageNet AlexNet-BN"),
                              ("resnet18_hwgq", resnet18, "ImageNet ResNet-18"),
                              ("cifar10_vgg_hwgq", cifar10_vgg, "CIFAR-10 VGG")]:
        with open(os.path.join(here, name + ".prototxt"), "w") as out:
            out.write(header.format(what) + build(args.batch))


if __name__ == "__main__":
    main()
