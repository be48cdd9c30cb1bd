#!/usr/bin/env bash
# npm run test:gpu — the one script for a machine with an NVIDIA GPU: builds the
# core and CUDA addons, requires the cuda backend to be available, runs the
# backend and conformance tests on every available backend, and the GPU
# benchmarks. Everything it reports goes under $OUT (default bench/results/gpu).
# On the lent device (no Node.js there): run `npm run gpu:bundle` here first and
# carry `.gpu`; the script then runs from the bundle.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-bench/results/gpu}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"  # absolute: bundle mode changes directory
status=0
step() { echo "== $*" | tee -a "$out/summary.txt"; }

# The lent machine gives about 15 minutes in all, start-up included: every step gets at most what
# is left of BOUNDLESS_GPU_BUDGET_S (default 360 s) and its own cap, and everything it reports is
# under $out as it goes, so a step cut short still leaves what came before.
budget_end=$((SECONDS + ${BOUNDLESS_GPU_BUDGET_S:-360}))
capped() {
  local cap=$1 left=$((budget_end - SECONDS)) code
  shift
  if [ "$left" -le 5 ]; then echo "skipped (time budget spent): $*" | tee -a "$out/summary.txt"; return 1; fi
  timeout $((cap < left ? cap : left)) "$@"
  code=$?
  [ "$code" -eq 124 ] && echo "timed out: $*" | tee -a "$out/summary.txt"
  return "$code"
}

# The every-core issue's scripts (bench/threads.ts: parse only and whole CLI trainings on a 400k x
# 64 CSV and a 400k sparse libsvm file) at 1, 2, 4, 8 and 16 native threads, one run per cell.
# $1: the CLI's entry point; $2: the command that runs bench/run.
thread_scaling() {
  BOUNDLESS_CLI="$1" BOUNDLESS_BENCH_OUT="$out" BOUNDLESS_BENCH_DATA=/tmp/boundless-threads-data \
    BOUNDLESS_BENCH_THREADS="1 2 4 8 16" BOUNDLESS_BENCH_REPEATS=1 capped 150 $2 threads > "$out/bench-threads.txt" 2>&1
  local code=$?
  grep -E '^\|' "$out/bench-threads.txt" | tee -a "$out/summary.txt"
  return $code
}

# A strict train and predict on each backend in $4 (comma-separated) on a generated CSV, printing
# the kernels each ran (metrics.kernels): the proof of what a backend does. $1: the CLI's entry point; $2: a node
# command that runs TypeScript or the bundle's JavaScript; $3: the folder holding lib/ and bench/ for it.
backend_runs() {
  local cli="$1" runner="$2" app="$3" data="$out/backend-runs.csv" backend algorithm kernels failed=0
  [ $((budget_end - SECONDS)) -gt 20 ] || { echo "skipped (time budget spent): backend runs" | tee -a "$out/summary.txt"; return 1; }
  $runner --input-type=module -e "
    import { writeFileSync } from 'node:fs';
    import { Random } from '$app/lib/random.js';
    import { denseCsvRows } from '$app/bench/generate-data.js';
    writeFileSync('$data', denseCsvRows(Random.fromSeed(12), 100000));" || { echo "backend-run data failed"; return 1; }
  for backend in ${4//,/ }; do
    for algorithm in "linear-learner --hp predictor_type=binary_classifier" "kmeans --hp k=10 --label-size 1" "pca --hp num_components=5 --label-size 1" \
      "factorization-machines --hp predictor_type=binary_classifier --hp num_factors=8"; do
      kernels=$(BOUNDLESS_STRICT_BACKEND=1 capped 60 node "$cli" train $algorithm --train "$data" --epochs 1 --backend "$backend" \
        --model-dir "$out/backend-model" 2> "$out/backend-runs.stderr" | node -e "let t='';process.stdin.on('data',d=>t+=d).on('end',()=>{const m=JSON.parse(t).metrics;console.log(m.seconds.toFixed(2)+' s',JSON.stringify(m.kernels))})") \
        || { echo "train ${algorithm%% *} --backend $backend failed: $(tail -n 1 "$out/backend-runs.stderr")" | tee -a "$out/summary.txt"; failed=1; continue; }
      echo "train ${algorithm%% *} --backend $backend: $kernels" | tee -a "$out/summary.txt"
      BOUNDLESS_STRICT_BACKEND=1 capped 60 node "$cli" predict --model "$out/backend-model" --input "$data" --label-size 1 --backend "$backend" \
        --stats --output "$out/backend-predictions.jsonl" > "$out/backend-predict.json" 2>> "$out/backend-runs.stderr" \
        || { echo "predict ${algorithm%% *} --backend $backend failed: $(tail -n 1 "$out/backend-runs.stderr")" | tee -a "$out/summary.txt"; failed=1; continue; }
      echo "predict ${algorithm%% *} --backend $backend: $(node -e "console.log(JSON.stringify(JSON.parse(require('fs').readFileSync('$out/backend-predict.json','utf8')).metrics.kernels))")" | tee -a "$out/summary.txt"
    done
  done
  rm -rf "$data" "$out/backend-model" "$out/backend-predictions.jsonl"
  return $failed
}

# The lent GPU machine has CUDA but no Node.js and no registry: there, run from the bundle that
# `npm run gpu:bundle` made here (carry .gpu). BOUNDLESS_USE_BUNDLE=1 forces that path.
if [ -d .gpu/app ] && { ! command -v node > /dev/null || [ -n "${BOUNDLESS_USE_BUNDLE:-}" ]; }; then
  step "bundle mode (.gpu)"
  mkdir -p /tmp/boundless-node
  python3 -c "import lzma, shutil; shutil.copyfileobj(lzma.open('.gpu/node.xz'), open('/tmp/boundless-node/node', 'wb'))"
  chmod +x /tmp/boundless-node/node
  export PATH="/tmp/boundless-node:$PATH"
  expected=cuda
  # WebGPU on the real GPU through Dawn's Vulkan backend (gpu-device-notes.md): unpack dawn.node,
  # install the carried Vulkan loader and GL libraries, point the loader at NVIDIA's ICD.
  if [ -f .gpu/dawn.node.xz ] && [ -d .gpu/debs ]; then
    python3 -c "import lzma, shutil; shutil.copyfileobj(lzma.open('.gpu/dawn.node.xz'), open('.gpu/app/node_modules/webgpu/dist/linux-x64/dawn.node', 'wb'))"
    for deb in .gpu/debs/*.deb; do dpkg -x "$deb" / || status=1; done
    ldconfig || true
    for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
      if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; break; fi
    done
    expected=cuda,webgpu
  fi
  cd .gpu/app
  { nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi unavailable"; nproc; node --version; } 2>&1 | tee -a "$out/summary.txt"
  step "backends"
  node lib/cli/main.js backends > "$out/backends.json" 2> "$out/backends.stderr" || status=1
  node -e "for (const b of JSON.parse(require('fs').readFileSync('$out/backends.json','utf8'))) console.log(b.name.padEnd(8), b.available ? 'available  ' : 'unavailable', b.reason, b.details.addonPath ? '(' + b.details.addonPath + ')' : '')" | tee -a "$out/summary.txt"
  step "backend and conformance tests ($expected required; strict in the conformance suite)"
  BOUNDLESS_EXPECT_BACKENDS=$expected capped 200 node node_modules/mocha/bin/mocha.js --no-config --timeout 600000 \
    --reporter ./test/summary-reporter.cjs test/backends/backends.test.js test/backends/kernel-counters.test.js \
    test/backends/row-kernels.test.js test/backends/gpu-pca-training.test.js test/backends/gpu-pca-frequent-directions.test.js test/backends/gpu-kmeans-training.test.js test/backends/gpu-fm-training.test.js test/backends/gpu-linear-learner-evaluate.test.js test/backends/gpu-linear-learner-training.test.js test/backends/gpu-resident-batches.test.js test/conformance/*.test.js \
    > "$out/tests.txt" 2>&1 || status=1
  tail -n 1 "$out/tests.txt" | tee -a "$out/summary.txt"
  grep -E '^\s+[0-9]+\) ' "$out/tests.txt" | tee -a "$out/summary.txt" || true
  step "training kernels, state on the device (gpu-training)"
  BOUNDLESS_BENCH_OUT="$out" capped 120 node bench/run.js gpu-training > "$out/bench-gpu-training.txt" 2>&1 || status=1
  grep -E '^\| [a-zA-Z]+ \|' "$out/bench-gpu-training.txt" | tee -a "$out/summary.txt"
  BOUNDLESS_BENCH_OUT="$out" capped 60 node bench/run.js gpu-overhead > "$out/bench-gpu-overhead.txt" 2>&1 || status=1
  grep -E '^\| [a-zA-Z]+ \|' "$out/bench-gpu-overhead.txt" | tee -a "$out/summary.txt"
  step "row kernels and dense linear"
  BOUNDLESS_BENCH_OUT="$out" capped 40 node bench/run.js row-kernels > "$out/bench-row-kernels.txt" 2>&1 || status=1
  grep -E '^\| [a-zA-Z]+ \|' "$out/bench-row-kernels.txt" | tee -a "$out/summary.txt"
  BOUNDLESS_BENCH_OUT="$out" BOUNDLESS_BENCH_VARIANTS=0 capped 40 node bench/run.js dense-linear > "$out/bench.txt" 2>&1 || status=1
  grep -E 'boundless (cuda|cpu|webgpu)|numpy' "$out/bench.txt" | tee -a "$out/summary.txt"
  step "what each backend ran (train and predict, strict, metrics.kernels)"
  backend_runs lib/cli/main.js node "$PWD" "${expected},cpu" || status=1
  step "thread scaling (bench/threads)"
  thread_scaling "$PWD/lib/cli/main.js" "node bench/run.js" || status=1
  step "exit status $status"
  exit $status
fi

step "machine"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi unavailable"; nproc; node --version; nvcc --version | tail -1; } 2>&1 | tee -a "$out/summary.txt"

step "install and build"
[ -d node_modules ] || npm ci --no-audit --no-fund > "$out/npm-ci.log" 2>&1 || { echo "npm ci failed"; status=1; }
[ -f build/Release/boundless.node ] || npx node-gyp rebuild -j max > "$out/build-native.log" 2>&1 || { echo "core addon build failed"; status=1; }
npm run build:ts > "$out/build-ts.log" 2>&1 || { echo "tsc failed"; status=1; }
npm run build:cuda > "$out/build-cuda.log" 2>&1 || { echo "CUDA addon build failed (see build-cuda.log)"; status=1; }

step "backends"
node dist/cli/main.js backends > "$out/backends.json" 2> "$out/backends.stderr" || status=1
node -e "for (const b of JSON.parse(require('fs').readFileSync('$out/backends.json','utf8'))) console.log(b.name.padEnd(8), b.available ? 'available  ' : 'unavailable', b.reason)" | tee -a "$out/summary.txt"

step "backend and conformance tests (cuda required)"
BOUNDLESS_EXPECT_BACKENDS=cuda npx mocha --no-config --node-option import=tsx --timeout 600000 \
  --reporter ./test/summary-reporter.cjs test/backends/*.test.ts test/conformance/*.test.ts \
  > "$out/tests.txt" 2>&1 || status=1
tail -n 1 "$out/tests.txt" | tee -a "$out/summary.txt"
grep -E '^\s+[0-9]+\) ' "$out/tests.txt" | tee -a "$out/summary.txt" || true

step "what each backend ran (train and predict, strict, metrics.kernels)"
backend_runs dist/cli/main.js "npx tsx" "$PWD" "cuda,cpu" || status=1

step "benchmarks"
BOUNDLESS_BENCH_OUT="$out" npx tsx bench/run.ts dense-linear > "$out/bench.txt" 2>&1 || status=1
BOUNDLESS_BENCH_OUT="$out" npx tsx bench/run.ts row-kernels > "$out/bench-row-kernels.txt" 2>&1 || status=1
grep -E '^\| [a-zA-Z]+ \|' "$out/bench-row-kernels.txt" | tee -a "$out/summary.txt"
BOUNDLESS_BENCH_OUT="$out" npx tsx bench/run.ts gpu-training > "$out/bench-gpu-training.txt" 2>&1 || status=1
grep -E '^\| [a-zA-Z]+ \|' "$out/bench-gpu-training.txt" | tee -a "$out/summary.txt"
BOUNDLESS_BENCH_OUT="$out" npx tsx bench/run.ts gpu-overhead > "$out/bench-gpu-overhead.txt" 2>&1 || status=1
grep -E '^\| [a-zA-Z]+ \|' "$out/bench-gpu-overhead.txt" | tee -a "$out/summary.txt"
grep -E 'boundless (cuda|cpu \((avx2|avx512), [0-9]+ threads\))|numpy' "$out/bench.txt" | tee -a "$out/summary.txt"

step "thread scaling (bench/threads)"
thread_scaling "$PWD/dist/cli/main.js" "npx tsx bench/run.ts" || status=1

step "exit status $status"
exit $status
