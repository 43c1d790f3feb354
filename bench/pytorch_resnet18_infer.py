#!/usr/bin/env python3
"""ResNet-18 inference in PyTorch FP32, the float peer of hwgq's packed ResNet-18-HWGQ:
the same layer shapes (7x7/2 conv, 3x3/2 max pool, four stages of two basic blocks with
64-512 channels, global average pool, 1000-way fc), full-precision weights and ReLU
activations. Timed at PyTorch's best on the CPU: channels_last memory format, no autograd
(inference_mode), and both eager and a frozen TorchScript graph (BatchNorm folded into the
convolutions); the faster of the two is reported. Run it under LD_PRELOAD of
libtcmalloc_minimal (bench/packed_inference.sh does).

    python3 bench/pytorch_resnet18_infer.py --batch 1 --threads 2 --runs 15 [--cpu_time]

Prints: batch threads eager_ms frozen_ms best_ms peak_rss_mib
"""
import argparse
import resource
import statistics
import time

import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class ResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        layers = []
        cin = 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
            cin = cout
        self.stages = nn.Sequential(*layers)
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def timed(fn, runs, clock):
    for _ in range(2):
        fn()
    times = []
    for _ in range(runs):
        start = clock()
        fn()
        times.append((clock() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--cpu_time", action="store_true",
                        help="process CPU time (all threads summed) instead of wall time")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = ResNet18().eval().to(memory_format=torch.channels_last)
    x = torch.randn(args.batch, 3, 224, 224).to(memory_format=torch.channels_last)
    clock = time.process_time if args.cpu_time else time.perf_counter
    with torch.inference_mode():
        eager = timed(lambda: model(x), args.runs, clock)
    with torch.no_grad():
        frozen_model = torch.jit.freeze(torch.jit.trace(model, x))
        frozen = timed(lambda: frozen_model(x), args.runs, clock)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.batch} {args.threads} {eager:.3f} {frozen:.3f} {min(eager, frozen):.3f} {peak_mib:.0f}")


if __name__ == "__main__":
    main()
