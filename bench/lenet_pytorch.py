"""The LeNet of models/fashion_mnist/lenet in PyTorch, timed the same way as hwgq_bench:
whole training iterations (forward, backward, SGD step) on random inputs, median of
several repeats. Run under Debian's python3 with python3-torch installed.

    python3 bench/lenet_pytorch.py --threads 2 --batch 64 --iterations 50 --repeats 5
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn


def lenet(channels_last):
    # conv5x5 20 -> maxpool -> BN -> ReLU -> conv5x5 50 -> maxpool -> BN -> ReLU ->
    # fc 500 -> BN -> ReLU -> fc 10; BatchNorm without affine terms as in the prototxt.
    net = nn.Sequential(
        nn.Conv2d(1, 20, 5, bias=False), nn.MaxPool2d(2, 2),
        nn.BatchNorm2d(20, affine=False, momentum=0.05), nn.ReLU(inplace=True),
        nn.Conv2d(20, 50, 5, bias=False), nn.MaxPool2d(2, 2),
        nn.BatchNorm2d(50, affine=False, momentum=0.05), nn.ReLU(inplace=True),
        nn.Flatten(),
        nn.Linear(800, 500, bias=False), nn.BatchNorm1d(500, affine=False, momentum=0.05), nn.ReLU(inplace=True),
        nn.Linear(500, 10))
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    return net


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-channels-last", action="store_true")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    channels_last = not args.no_channels_last
    net = lenet(channels_last)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    data = torch.rand(args.batch, 1, 28, 28)
    if channels_last:
        data = data.contiguous(memory_format=torch.channels_last)
    labels = torch.arange(args.batch) % 10

    def iteration():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(net(data), labels)
        loss.backward()
        optimizer.step()

    for _ in range(3):
        iteration()
    per_iter = []
    for r in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.iterations):
            iteration()
        ms = (time.perf_counter() - start) * 1000 / args.iterations
        per_iter.append(ms)
        print(f"repeat {r}: {ms:.3f} ms/iter")
    print(f"median: {statistics.median(per_iter):.3f} ms/iter")


if __name__ == "__main__":
    main()
