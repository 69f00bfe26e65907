"""PyTorch side of bench/inference.ts (ResNet inference against onnxruntime-node and PyTorch).

  export OUT_DIR MODEL...       torchvision models with seeded random weights and non-trivial batch
                                norm statistics: OUT_DIR/<model>.pth (state dict, for nabla) and
                                OUT_DIR/<model>.onnx (torch.onnx.export, opset 13, dynamic batch)
  serve OUT_DIR THREADS          times forwards of the saved weights on request (one JSON line in,
                                one out) with torch.set_num_threads(THREADS), in inference_mode

export prints one JSON line last. Run as OPENBLAS_NUM_THREADS=1 /usr/bin/python3 (Debian's python3-torch).
"""
import json
import os
import sys
import time

import torch
import torchvision


def build(name):
    return getattr(torchvision.models, name)()


def randomize_batch_norms(model):
    # Fresh batch norms are the identity (mean 0, var 1, weight 1, bias 0): folding them would be
    # trivial, so every framework gets the same non-trivial statistics.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c) * 0.1)
                m.running_var.copy_(torch.rand(c) * 0.5 + 0.75)
                m.weight.copy_(torch.rand(c) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(c) * 0.1)


def export(out_dir, names):
    os.makedirs(out_dir, exist_ok=True)
    for i, name in enumerate(names):
        torch.manual_seed(i)
        model = build(name)
        randomize_batch_norms(model)
        model.eval()
        torch.save(model.state_dict(), os.path.join(out_dir, name + ".pth"))
        torch.onnx.export(
            model, torch.randn(1, 3, 224, 224), os.path.join(out_dir, name + ".onnx"), opset_version=13,
            input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        )
    print(json.dumps({"exported": names, "torch": torch.__version__, "torchvision": torchvision.__version__}))


def serve(out_dir, threads):
    # One request per line, {"model", "batch", "warmup", "reps"}, answered by one line of times in
    # ms, so that bench/inference.ts can alternate PyTorch with the others in rounds.
    torch.set_num_threads(threads)
    models, inputs = {}, {}
    print(json.dumps({"ready": True, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        name, batch = req["model"], req["batch"]
        if name not in models:
            model = build(name)
            model.load_state_dict(torch.load(os.path.join(out_dir, name + ".pth")))
            models[name] = model.eval()
        x = inputs.setdefault((name, batch), torch.randn(batch, 3, 224, 224))
        times = []
        with torch.inference_mode():
            for i in range(req["warmup"] + req["reps"]):
                t = time.perf_counter()
                models[name](x)
                if i >= req["warmup"]:
                    times.append((time.perf_counter() - t) * 1000)
        print(json.dumps({"ms": times}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "export":
        export(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit("usage: bench-inference-torch.py export OUT_DIR MODEL... | serve OUT_DIR THREADS")
