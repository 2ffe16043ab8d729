#!/bin/bash
# The whole GPU check in one run (issue 13): the gpu-marked tests, the AlexNet step against
# PyTorch + cuDNN in strict fp32 with GPU memory, two towers on one GPU, the layers, and one
# epoch of alexnet_cifar on one tower and on two. Its timeouts add up to 480 s; it took 2
# minutes on an H200. Needs CuPy and PyTorch with CUDA.
#
# From the repository root:   bash benchmarks/gpu_check.sh
# The CIFAR-10 subset is read from ../shared/data, or else from runs/ (git-ignored), where
# `cp -r ../shared/data/cifar-10-batches-py runs/` puts it for a machine without ../shared.
# Everything it prints is also written under $OUT (default runs/gpu-check), in 7 files.
set -o pipefail
export PYTHONPATH=. PYTHONUNBUFFERED=1 MPLBACKEND=Agg
OUT=${OUT:-runs/gpu-check}; mkdir -p "$OUT"
DATA=runs; [ -d ../shared/data/cifar-10-batches-py ] && DATA=../shared/data
python3 -c "import cupy, torch, numpy; print('cupy', cupy.__version__, 'torch', torch.__version__,
'numpy', numpy.__version__, 'gpus', cupy.cuda.runtime.getDeviceCount(),
cupy.cuda.runtime.getDeviceProperties(0)['name'].decode())" | tee "$OUT/versions.log" || exit 1

echo "== 1. the gpu-marked tests (the fused CUDA kernels against their xp references first)"
# pytest-benchmark, where installed, is not ours, and its warnings would be errors here: off.
timeout 120 python3 -m pytest -m gpu -q -rfE --tb=short -p no:cacheprovider -p no:benchmark \
    --durations=5 tests/kernels/test_cuda.py tests 2>&1 | tee "$OUT/tests.log"

echo "== 2. AlexNet step at batch 128 against PyTorch + cuDNN, strict fp32, GPU memory"
for algorithm in auto winograd; do      # auto is direct on a GPU; Winograd for comparison
    timeout 60 python3 benchmarks/bench_alexnet.py --net alexnet --device cuda:0 --batch 128 \
        --repeats 7 --algorithm $algorithm 2>&1 | tee -a "$OUT/alexnet.log"
done
timeout 45 python3 benchmarks/bench_alexnet.py --net alexnet_cifar --device cuda:0 --batch 128 \
    --repeats 7 2>&1 | tee "$OUT/cifar.log"

echo "== 3. two towers on (cuda:0, cuda:0) against one tower"
timeout 45 python3 benchmarks/bench_alexnet.py --towers --net alexnet --device cuda:0 \
    --batch 128 --repeats 7 2>&1 | tee "$OUT/towers.log"

echo "== 4. the layers, strict fp32"
timeout 60 python3 benchmarks/bench_layers.py --device cuda:0 --repeats 5 2>&1 | tee "$OUT/layers.log"

echo "== 5. one epoch of alexnet_cifar on the CIFAR-10 subset: cuda:0, then two towers"
timeout 45 python3 -m minialex train --model alexnet_cifar --dataset cifar10 --data-dir "$DATA" \
    --epochs 1 --device cuda:0 --no-progress --out runs/train-one 2>&1 | tee "$OUT/train.log"
timeout 45 python3 -m minialex train --model alexnet_cifar --dataset cifar10 --data-dir "$DATA" \
    --epochs 1 --towers 2 --devices cuda:0,cuda:0 --no-progress --out runs/train-two \
    2>&1 | tee -a "$OUT/train.log"
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv | tee -a "$OUT/versions.log"
