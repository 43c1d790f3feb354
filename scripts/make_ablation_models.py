#!/usr/bin/env python3
"""Writes the Fashion-MNIST LeNet ablation models under models/fashion_mnist/ from the
full-precision LeNet (models/fashion_mnist/lenet): every variant keeps the structure
conv5x5 20 -> pool -> BN -> act -> conv5x5 50 -> pool -> BN -> act -> fc 500 -> BN -> act
-> fc 10 and changes only the weights (binary, alpha * sign(W), in every layer as in the
HWGQ authors' MNIST example) and the activation `act`.

    python3 scripts/make_ablation_models.py   # rewrites the variant folders
"""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
BASE = ROOT / "models/fashion_mnist/lenet"
CENTERS = "centers: 0.538 centers: 1.076 centers: 1.614"

VARIANTS = {
    "lenet-bw": ("binary weights, ReLU activations", None),
    "lenet-bw-sign": ("binary weights, sign activations (hard_tanh backward, clip 1)",
                      'forward_func: "sign" backward_func: "hard_tanh" clip_thr: 1'),
    "lenet-hwgq-relu": ("binary weights, 2-bit HWGQ activations, vanilla ReLU backward",
                        f'forward_func: "hwgq" backward_func: "relu" {CENTERS}'),
    "lenet-hwgq-clipped": ("binary weights, 2-bit HWGQ activations, clipped ReLU backward",
                           f'forward_func: "hwgq" backward_func: "relu" {CENTERS} clip_thr: 1.614'),
    "lenet-hwgq-logtailed": ("binary weights, 2-bit HWGQ activations, log-tailed ReLU backward",
                             f'forward_func: "hwgq" backward_func: "log_tailed" {CENTERS}'),
}


def binarize_weights(text):
    # No weight decay on the real-valued weights behind binary ones: every binary layer is
    # followed by BatchNorm, so their scale does not matter to the output, and decay only
    # shrinks them towards 0, where the smallest update flips a sign; measured here, that
    # kept the test accuracy swinging by 1-2 points until the last iteration.
    text = text.replace('param { lr_mult: 1 decay_mult: 1 }\n  convolution_param',
                        'param { lr_mult: 1 decay_mult: 0 }\n  convolution_param')
    text = text.replace('param { lr_mult: 1 decay_mult: 1 }\n  inner_product_param',
                        'param { lr_mult: 1 decay_mult: 0 }\n  inner_product_param')
    text = text.replace('param { lr_mult: 1 decay_mult: 1 }\n  param { lr_mult: 2 decay_mult: 0 }\n  inner_product_param',
                        'param { lr_mult: 1 decay_mult: 0 }\n  param { lr_mult: 2 decay_mult: 0 }\n  inner_product_param')
    text = text.replace('type: "Convolution"', 'type: "BinaryConvolution"')
    text = text.replace('type: "InnerProduct"', 'type: "BinaryInnerProduct"')
    text = re.sub(r'(  convolution_param \{.*?\n  \}\n)',
                  lambda m: m.group(1) + "  binary_convolution_param { use_alpha: true }\n", text, flags=re.S)
    text = re.sub(r'(  inner_product_param \{.*?\n  \}\n)',
                  lambda m: m.group(1) + "  binary_inner_product_param { use_alpha: true }\n", text, flags=re.S)
    return text


def quantize_activations(text, quant_param):
    if quant_param is None:
        return text
    # Each in-place ReLU after a BatchNorm becomes a Quant layer.
    return re.sub(r'layer \{\n  name: "relu(\d)"\n  type: "ReLU"\n  bottom: "(\w+)"\n  top: "\w+"\n\}',
                  lambda m: (f'layer {{\n  name: "quant{m.group(1)}"\n  type: "Quant"\n  bottom: "{m.group(2)}"\n'
                             f'  top: "{m.group(2)}"\n  quant_param {{ {quant_param} }}\n}}'), text)


def main():
    net = (BASE / "train_val.prototxt").read_text()
    solver = (BASE / "solver.prototxt").read_text()
    body = net[net.index('name: "LeNet"'):]
    for name, (summary, quant_param) in VARIANTS.items():
        folder = ROOT / "models/fashion_mnist" / name
        folder.mkdir(exist_ok=True)
        variant = quantize_activations(binarize_weights(body), quant_param)
        variant = variant.replace('name: "LeNet"', f'name: "LeNet-{name[6:].upper()}"', 1)
        header = (f"# Fashion-MNIST LeNet ablation: {summary}.\n"
                  "# Written by scripts/make_ablation_models.py from models/fashion_mnist/lenet.\n")
        (folder / "train_val.prototxt").write_text(header + variant)
        (folder / "solver.prototxt").write_text(
            solver.replace("models/fashion_mnist/lenet/", f"models/fashion_mnist/{name}/")
                  .replace("out/fashion_mnist/lenet/lenet", f"out/fashion_mnist/{name}/{name}")
                  .replace("# Full-precision LeNet", f"# LeNet ablation ({summary})"))


if __name__ == "__main__":
    main()
