"""Trains a tiny net with `hwgq train --tensorboard_dir` and reads the event file back with
TensorBoard's own reader: every scalar must equal the same run's metrics file.

    python tensorboard_reader_check.py HWGQ_BINARY WORK_DIR
"""
import json
import math
import os
import struct
import subprocess
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def write_idx(images_path, labels_path, n, rows, cols, classes):
    with open(images_path, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, rows, cols))
        f.write(bytes((i * 7 + p * 3) % 256 for i in range(n) for p in range(rows * cols)))
    with open(labels_path, "wb") as f:
        f.write(struct.pack(">II", 0x801, n))
        f.write(bytes(i % classes for i in range(n)))


def main():
    hwgq, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    images, labels = os.path.join(work, "images"), os.path.join(work, "labels")
    write_idx(images, labels, 40, 4, 4, 4)
    net = os.path.join(work, "net.prototxt")
    with open(net, "w") as f:
        f.write(f"""
layer {{ name: "data" type: "IdxData" top: "data" top: "label"
        idx_data_param {{ images: "{images}" labels: "{labels}" batch_size: 8 scale: 0.00390625 }} }}
layer {{ name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param {{ num_output: 4 weight_filler {{ type: "gaussian" std: 0.1 }} }} }}
layer {{ name: "accuracy" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy" include {{ phase: TEST }} }}
layer {{ name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }}
""")
    solver = os.path.join(work, "solver.prototxt")
    with open(solver, "w") as f:
        f.write(f'net: "{net}" base_lr: 0.1 lr_policy: "step" gamma: 0.5 stepsize: 10 max_iter: 40 '
                f'display: 5 test_interval: 10 test_iter: 5 snapshot_prefix: "{work}/run" random_seed: 3\n')
    logs = os.path.join(work, "tb")
    subprocess.run([hwgq, "train", f"--solver={solver}", f"--tensorboard_dir={logs}"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    with open(os.path.join(work, "run_metrics.jsonl")) as f:
        records = [json.loads(line) for line in f]
    expected = {}
    for r in records:
        if r["phase"] == "train":
            values = {f"train/output/{name}": value for name, value in r["outputs"].items()}
            values.update({"train/loss": r["loss"], "train/lr": r["lr"]})
            if "images_per_s" in r:
                values["train/images_per_s"] = r["images_per_s"]
        else:
            values = {f"test{r['net']}/{name}": value for name, value in r["outputs"].items()}
        for tag, value in values.items():
            expected.setdefault(tag, []).append((r["iteration"], value))

    events = EventAccumulator(logs)
    events.Reload()
    tags = sorted(events.Tags()["scalars"])
    assert tags == sorted(expected), f"tags {tags} != {sorted(expected)}"
    compared = 0
    for tag in tags:
        got = [(e.step, e.value) for e in events.Scalars(tag)]
        want = expected[tag]
        assert [s for s, _ in got] == [s for s, _ in want], f"{tag}: steps {got} != {want}"
        for (step, value), (_, reference) in zip(got, want):
            # TensorBoard holds float32; images/s is rounded to 0.1 in the metrics file.
            tolerance = (0.051 if tag.endswith("images_per_s") else 0.0) + 1.2e-7 * max(1.0, abs(reference))
            assert math.isclose(value, reference, abs_tol=tolerance), f"{tag} step {step}: {value} != {reference}"
            compared += 1
    assert compared >= 40, compared
    print(f"tensorboard reader: {len(tags)} tags, {compared} scalars equal to the metrics file")


if __name__ == "__main__":
    main()
