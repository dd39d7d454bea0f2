#!/usr/bin/env bash
# GPU checks of ClaMP3.ML on a lent GPU machine (README, "GPU"): the CUDA tests (TestCategory=cuda: embed and MERT
# parity, training-step parity, CPU-vs-CUDA losses) and `clamp3 bench model|mert --device cuda` side by side with
# PyTorch (../shared/tools/gpu/bench_torch.py), every log under $OUT.
#   bash scripts/gpu-check.sh bundle     here: Release build (CLI + tests as an executable) and .gpu/ bundle
#   bash scripts/gpu-check.sh run        there (device tool `run`, carry [".gpu"]): the checks on CUDA, ~5-7 min
#   bash scripts/gpu-check.sh --dry-run  here: bundle, then the same steps on the CPU (small sizes) from the local build
# The GPU machine has no dotnet SDK and no network: the tests run through MSTest's own runner
# (scripts/gpu/ClaMP3.ML.GpuTests.csproj), the runtime and the shim come from the bundle (../shared/tools/gpu).
set -uo pipefail
ROOT=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
cd "$ROOT"
MODE=${1:-run}
TESTS_BIN=scripts/gpu/bin/Release/net10.0
FILTER='TestCategory=cuda|FullyQualifiedName~PatchEmbeddingTests|FullyQualifiedName~MertConvAlgorithmTests'
failed=0

step() { # step NAME LIMIT_SECONDS COMMAND...: runs COMMAND with a time limit, logs to $OUT/NAME.log, keeps going
  local name=$1 limit=$2; shift 2
  local start=$SECONDS
  echo "== $name: $*"
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  tail -n "${TAIL:-25}" "$OUT/$name.log"
  echo "== $name: exit $rc in $((SECONDS - start)) s (log $OUT/$name.log)"
  [ $rc -eq 0 ] || failed=1
}

bundle() {
  dotnet build src/ClaMP3.Cli -c Release -v quiet -nologo || exit 1
  dotnet build scripts/gpu/ClaMP3.ML.GpuTests.csproj -c Release -v quiet -nologo || exit 1
  local kit=../shared/tools/gpu
  if [ -f .git ]; then
    # A git worktree: .git is a file, so the kit's `.git/info/exclude` line cannot run (.gpu/ is in .gitignore instead).
    local patched; patched=$(mktemp "${TMPDIR:-/tmp}/make_bundle-XXXXXX.sh")
    sed -e "s#^KIT=.*#KIT=$(cd "$kit" && pwd)#" -e "/\.git\/info\/exclude/d" "$kit/make_bundle.sh" > "$patched"
    bash "$patched" "$TESTS_BIN" || exit 1
    rm -f "$patched"
  else
    bash "$kit/make_bundle.sh" "$TESTS_BIN" || exit 1   # lands in .gpu/apps/gpu (tests + clamp3.dll)
  fi
}

checks() { # checks DEVICE RUNNER APP_DIR: the same steps on cuda (there) or cpu (dry run here)
  local device=$1 runner=$2 app=$3 tests_filter=$FILTER
  local model_args=(--device "$device" --batch 64 --bf16 --seconds 1) mert_args=(--device "$device" --seconds 300 --batch 16)
  local torch_model=(--device "$device" --batches 1,64 --seconds 1) torch_mert=(--device "$device" --seconds-audio 300 --batch 16)
  if [ "$device" = cpu ]; then # the dry run: same steps, sizes a 2-core machine finishes in minutes
    model_args=(--device cpu --batch 1 --seconds 0.2); mert_args=(--device cpu --seconds 10 --batch 2 --skip-conv)
    torch_model=(--device cpu --batches 1,2 --seconds 0.2 --precisions fp32); torch_mert=(--device cpu --seconds-audio 10 --batch 2)
  fi
  echo "device $device; CPU flags: $(grep -o -w 'avx2\|avx512[a-z_0-9]*\|amx[a-z_]*' /proc/cpuinfo | sort -u | tr '\n' ' ')"
  command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  TAIL=40 step tests 300 $runner "$app/ClaMP3.ML.Tests.dll" --filter "$tests_filter" --output detailed --no-progress
  step bench-model 200 $runner "$app/clamp3.dll" bench model "${model_args[@]}"
  local torch_ok=1
  if [ "$device" = cpu ] && ! python3 -c 'import torch' 2> /dev/null; then torch_ok=0; fi
  if [ $torch_ok = 1 ]; then step torch-model 150 python3 .gpu/kit/bench_torch.py model "${torch_model[@]}"
  else echo "== torch-model: skipped (dry run: python3 has no torch on this machine)"; fi
  step bench-mert 120 $runner "$app/clamp3.dll" bench mert "${mert_args[@]}"
  if [ $torch_ok = 1 ]; then step torch-mert 90 python3 .gpu/kit/bench_torch.py mert "${torch_mert[@]}"
  else echo "== torch-mert: skipped (dry run: python3 has no torch on this machine)"; fi
}

case "$MODE" in
  bundle) bundle ;;
  run)
    : "${OUT:?run this on the GPU machine through the device tool (OUT is its output folder)}"
    [ -d .gpu ] || { echo "no .gpu/ here: run 'bash scripts/gpu-check.sh bundle' first and carry [\".gpu\"]"; exit 2; }
    start=$SECONDS
    source .gpu/kit/env.sh > "$OUT/env.log" 2>&1; tail -3 "$OUT/env.log"
    echo "env ready in $((SECONDS - start)) s"
    checks cuda dotnet .gpu/apps/gpu
    ;;
  --dry-run|dry-run)
    bundle
    OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/clamp3-gpu-dry-XXXXXX")}
    echo "dry run on the CPU, logs in $OUT"
    checks cpu dotnet "$TESTS_BIN"
    ;;
  *) echo "usage: bash scripts/gpu-check.sh bundle|run|--dry-run"; exit 2 ;;
esac
echo "gpu-check ($MODE): $([ $failed -eq 0 ] && echo 'all steps passed' || echo 'SOME STEPS FAILED (see the logs)')"
exit $failed
