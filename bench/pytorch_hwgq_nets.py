#!/usr/bin/env python3
"""The benchmark nets of bench/nets/{alexnet,resnet18,cifar10_vgg,lenet}_hwgq.prototxt in PyTorch, with
HWGQ as custom autograd functions, timed like hwgq_bench: whole training iterations
(forward, backward, SGD step) on random inputs, median of several repeats.

    python3 bench/pytorch_hwgq_nets.py --model resnet18 --batch 256 [--device cuda] [--tf32]

The layers follow the prototxts (docs/hwgq-paper.md section 3):
  - Quant: forward maps x <= 0 to 0 and x in (t_j, t_{j+1}] to the center q_{j+1}, with
    t the midpoints of the centers 0.538, 1.076, 1.614 (2-bit, half-wave Gaussian);
    backward is the clipped ReLU, dx = dy where 0 < x <= 1.614.
  - Binary weights: W_b = alpha * sign(W) per output filter, alpha = mean |W|, sign(0) = +1;
    the gradient passes to the real W unchanged.
  - BatchNorm without affine terms (Caffe's BatchNorm; momentum 0.05 = 1 - 0.95); Scale
    layers as per-channel weight and bias; max pooling with Caffe's ceil output size.
By default float32 convolutions and matmuls do not use TF32 (as hwgq's default);
--tf32 allows it on both sides of a comparison.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CENTERS = (0.538, 1.076, 1.614)
CLIP = 1.614


# Cell boundaries: 0 and the midpoints of the centers.
BOUNDARIES = [0.0] + [(a + b) / 2 for a, b in zip(CENTERS, CENTERS[1:])]


class HwgqQuant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        # x in (b_j, b_{j+1}] -> center j as a chain of selects: elementwise, so it keeps
        # channels_last, and measured faster than levels[torch.bucketize(x, boundaries)]
        # (16.6 vs 21.4 ms on a 16 x 256 x 27 x 27 tensor, 2 threads), with equal results.
        out = torch.zeros_like(x)
        for boundary, center in zip(BOUNDARIES, CENTERS):
            out = torch.where(x > boundary, center, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ((x > 0) & (x <= CLIP)).to(grad.dtype)


class Quant(nn.Module):
    def forward(self, x):
        return HwgqQuant.apply(x)


class BinarizeWeights(torch.autograd.Function):
    @staticmethod
    def forward(ctx, w):
        alpha = w.abs().mean(dim=tuple(range(1, w.dim())), keepdim=True)
        return alpha * torch.where(w >= 0, 1.0, -1.0)

    @staticmethod
    def backward(ctx, grad):
        return grad


class BinaryConv(nn.Conv2d):
    def forward(self, x):
        return self._conv_forward(x, BinarizeWeights.apply(self.weight), self.bias)


class BinaryLinear(nn.Linear):
    def forward(self, x):
        return F.linear(x, BinarizeWeights.apply(self.weight), self.bias)


class Scale(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return x * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


def bn(channels, dims=2):
    cls = nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d
    return cls(channels, affine=False, momentum=0.05, eps=1e-5)


def alexnet():
    def stage(cin, cout, kernel, pad, pool):
        layers = [bn(cin), Quant(), BinaryConv(cin, cout, kernel, padding=pad, bias=False)]
        if pool:
            layers.append(nn.MaxPool2d(3, 2, ceil_mode=True))
        return layers

    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4, bias=False), nn.MaxPool2d(3, 2, ceil_mode=True),
        *stage(96, 256, 5, 2, True), *stage(256, 384, 3, 1, False), *stage(384, 384, 3, 1, False),
        *stage(384, 256, 3, 1, True),
        nn.Flatten(),
        bn(9216, 1), Quant(), BinaryLinear(9216, 4096, bias=False),
        bn(4096, 1), Quant(), BinaryLinear(4096, 4096, bias=False),
        bn(4096, 1), nn.ReLU(inplace=True), nn.Linear(4096, 1000))


class Block(nn.Module):
    """BN -> Q -> BinConv 3x3 -> BN -> Q -> BinConv 3x3 -> BN -> Scale, plus the shortcut.
    A downsampling block quantizes its input once for both paths and projects the shortcut
    with a binary 1x1/2 convolution -> BN -> Scale. The first block of the net receives
    the already normalised pool1 and only quantizes it."""

    def __init__(self, cin, cout, stride, normalise_input):
        super().__init__()
        self.downsample = stride != 1
        self.pre = nn.Sequential(bn(cin), Quant()) if normalise_input else Quant()
        self.conv_a = BinaryConv(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.mid = nn.Sequential(bn(cout), Quant())
        self.conv_b = BinaryConv(cout, cout, 3, padding=1, bias=False)
        self.end = nn.Sequential(bn(cout), Scale(cout))
        if self.downsample:
            self.project = nn.Sequential(BinaryConv(cin, cout, 1, stride=stride, bias=False), bn(cout), Scale(cout))

    def forward(self, x):
        q = self.pre(x)
        y = self.end(self.conv_b(self.mid(self.conv_a(q))))
        return y + (self.project(q) if self.downsample else x)


class ResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=True),
                                  nn.MaxPool2d(3, 2, ceil_mode=True), bn(64))
        blocks = []
        cin = 64
        for i, width in enumerate([64, 128, 256, 512]):
            stride = 1 if i == 0 else 2
            blocks.append(Block(cin, width, stride, normalise_input=i > 0))
            blocks.append(Block(width, width, 1, normalise_input=True))
            cin = width
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.ReLU(inplace=True), nn.AvgPool2d(7, 1), nn.Flatten(), nn.Linear(512, 1000))

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


def cifar10_vgg():
    def stage(cin, cout, pool):
        layers = [bn(cin), Quant(), BinaryConv(cin, cout, 3, padding=1, bias=False)]
        if pool:
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
        return layers

    return nn.Sequential(
        nn.Conv2d(3, 128, 3, padding=1, bias=False),
        *stage(128, 128, True), *stage(128, 256, False), *stage(256, 256, True), *stage(256, 512, False),
        *stage(512, 512, False),
        bn(512), Scale(512), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2, ceil_mode=True),
        nn.Flatten(), nn.Linear(512 * 4 * 4, 10))


def lenet():
    """bench/nets/lenet_hwgq.prototxt: every layer binary, BN -> Q between them."""
    return nn.Sequential(
        BinaryConv(1, 20, 5, bias=False), nn.MaxPool2d(2, 2, ceil_mode=True), bn(20), Quant(),
        BinaryConv(20, 50, 5, bias=False), nn.MaxPool2d(2, 2, ceil_mode=True), bn(50), Quant(),
        nn.Flatten(), BinaryLinear(800, 500, bias=False), bn(500, 1), Quant(), BinaryLinear(500, 10))


# name -> (constructor, input channels, input size, classes)
NETS = {
    "alexnet": (alexnet, 3, 227, 1000),
    "resnet18": (lambda: ResNet18(), 3, 224, 1000),
    "cifar10_vgg": (cifar10_vgg, 3, 32, 10),
    "lenet": (lenet, 1, 28, 10),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=sorted(NETS), required=True)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--tf32", action="store_true", help="allow TF32 in convolutions and matmuls")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0 = PyTorch's default)")
    parser.add_argument("--channels-last", action="store_true", help="NHWC memory format (hwgq is NCHW)")
    parser.add_argument("--autocast-bf16", action="store_true",
                        help="CPU mixed precision: forward (and so backward) of convolutions and matmuls in bfloat16")
    args = parser.parse_args()

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.manual_seed(1)
    build, channels, size, classes = NETS[args.model]
    net = build().to(device)
    data = torch.rand(args.batch, channels, size, size, device=device)
    if args.channels_last:
        net = net.to(memory_format=torch.channels_last)
        data = data.contiguous(memory_format=torch.channels_last)
    labels = torch.arange(args.batch, device=device) % classes
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()

    def iteration():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.autocast_bf16):
            loss = loss_fn(net(data), labels)
        loss.backward()
        optimizer.step()

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(3):  # warm-up, and cuDNN's algorithm search
        iteration()
    sync()
    per_iter = []
    for r in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.iterations):
            iteration()
        sync()
        ms = (time.perf_counter() - start) * 1000 / args.iterations
        per_iter.append(ms)
        print(f"repeat {r}: {ms:.3f} ms/iter", flush=True)
    print(f"median: {statistics.median(per_iter):.3f} ms/iter")


if __name__ == "__main__":
    main()
