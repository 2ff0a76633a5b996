#!/usr/bin/env bash
# gpu-run.sh — the GPU runbook: what a session that is lent a GPU (the device tool's H200) runs, in two halves.
#
# 1. HERE, on the development machine (JDK 25, Maven cache), after any change:
#        cuda-kernels/gpu-run.sh prepare          (WITH_ZOO=1: also the golden StyleGAN3 / Human models, 15 MiB)
#        cuda-kernels/gpu-run.sh untrack
#    prepare builds every module's jar (and the test jars of core-tensor and cuda-kernels), copies them with their
#    dependencies to .gpu/lib (the JCuda natives jar slimmed to the driver binding; the shipped models left out of the
#    stylegan jar, since the tree carries them), makes a jlinked Java 25 runtime .gpu/jre.txz (with java.desktop for
#    the app's images) and copies ../shared/golden/ops to .gpu/shared. .gpu is git-ignored and travels as carry.
#    The device tool takes at most 64 MiB of tree and carry together: untrack takes the loader-only golden files
#    (13 MiB) out of the index for the call (GPU_UNTRACK_MORE=paths takes more, e.g. the shipped toy model when only
#    'zoo' runs). Never commit between untrack and retrack: the index then lacks those files.
#
# 2. THERE, through the device tool, from the repository root:
#        run(command="bash cuda-kernels/gpu-run.sh run 'seam bench models tests'", carry=[".gpu"], timeout_s=450)
#    then, here: cuda-kernels/gpu-run.sh retrack. On the H200 (2026-12-04) that call took 65 s after the machine's start.
#    Each part writes PART.log to $OUT (the tool brings back 8 files at most) and prints it. Per-part time limits:
#    T_TESTS, T_SEAM, T_SEAM_TF32, T_BENCH, T_DRAG (each CLI run), T_SANITIZE, T_MODELS (seconds). Parts:
#      tests     every CUDA kernel test on the GPU (each kernel vs its Java reference and the PyTorch golden data,
#                TF32 variants, determinism, scoped memory over 1000 drag-like steps, PTX regeneration with the
#                box's nvcc, and what "seam" runs); the CPU-emulator variants are skipped there.
#      seam      the Backend seam ops on the GPU: SeamOpsTest (the fused modulated convolution forward and backward vs
#                the composed default; the tracker's window_nearest bit-identical to the reference),
#                EmulatedModelsTest (the golden compact-128 generator and drag 1 end to end through CudaBackend vs
#                the CPU: ws 1e-5, features and image 1e-3, tracked points identical), then the same two with TF32
#                tensor cores (-Ddraggan.cuda.tf32=true; informative: TF32 fails the FP32 tolerances).
#      bench     GpuBench: GEMM and modulated-conv TFLOP/s next to cuBLAS (the PyTorch venv's libcublas, through
#                FFM), StyleGAN2-shaped forward and drag step at 256 and 512 px (FP32 and TF32).
#      torch     the same GEMM / conv shapes in PyTorch on that box (baseline only; Python is no project dependency).
#      sanitize  compute-sanitizer memcheck and racecheck over the kernel test classes.
#      models    the CLI on CUDA: the README's drag on the built-in model, generate and drag on random:256/512,
#                with per-step times from each drag's trace.csv.
#      dragcmp   30 drag steps at 256 and 512 px, ours (FP32 and TF32) beside PyTorch's reference loop on the GPU.
#      gentime   generate, ten seeds, ours beside PyTorch on the GPU.
#      zoo       StyleGAN3 T/R and StyleGAN-Human (prepare with WITH_ZOO=1) through the CLI on CUDA and on the CPU of
#                the same box, compared step by step.
#      profile   -Ddraggan.profile=true on CUDA (host time per op, the pool's driver allocations and collections), with
#                the default reclaim budget and without one (1 TiB); and with -Ddraggan.profile.sync=true (device time
#                per op: each op waits for the device).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

prepare() {
  set -e
  export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
  ex=$(git rev-parse --git-path info/exclude)   # .gpu is in .gitignore too; this keeps it out of older checkouts
  mkdir -p "$(dirname "$ex")"; grep -qx '/.gpu/' "$ex" 2>/dev/null || echo '/.gpu/' >> "$ex"
  rm -rf .gpu && mkdir -p .gpu/lib .gpu/shared/golden
  ./mvnw -q package -pl '!benchmarks' -DskipTests -Dmaven.javadoc.skip=true dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$root/.gpu/lib"
  cp */target/*-SNAPSHOT.jar */target/*-SNAPSHOT-tests.jar .gpu/lib/ 2>/dev/null || true
  (cd .gpu/lib && for j in jcuda-natives-*.jar; do
     mkdir x && (cd x && unzip -q "../$j" && rm -f lib/libJNvPTXCompiler* lib/libJNvrtc* lib/libJCudaRuntime* && zip -q -r "../slim-$j" .)
     rm -rf x "$j"; done)
  rm -f .gpu/lib/benchmarks-*.jar                      # a stale one from an earlier full build; not needed there
  # The shipped models travel in the tracked tree already (stylegan/src/main/resources, on the class path there):
  # out of the jar they save 6 MiB of the 64 MiB that tree and carry may take together.
  (cd .gpu/lib && zip -q -d stylegan-*-SNAPSHOT.jar 'io/github/dragganjvm/stylegan/models/*')
  # The runtime as make-gpu-runtime.sh makes it, but uncompressed inside and xz outside, without the CDS archive:
  # 20 MiB instead of 30. With the tree (37 MiB) that is still over the limit: see 'untrack' below.
  jdk=${JAVA25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}; rm -rf /tmp/draggan-gpu-jre
  # zipfs: JUnit scans jars; java.desktop: ImageIO for the app's PNGs and GIFs (its X11, splash and sound libraries go)
  "$jdk/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.incubator.vector,jdk.unsupported,jdk.zipfs,java.desktop \
    --strip-debug --no-header-files --no-man-pages --compress=zip-0 --output /tmp/draggan-gpu-jre 2>/dev/null
  rm -f /tmp/draggan-gpu-jre/lib/server/classes*.jsa /tmp/draggan-gpu-jre/lib/lib{awt_xawt,splashscreen,jsound}.so
  tar cJf .gpu/jre.txz -C /tmp/draggan-gpu-jre .
  cp -r ../shared/golden/ops .gpu/shared/golden/
  if [ "${WITH_ZOO:-0}" = 1 ]; then                    # the models of part 'zoo' (15 MiB; see GPU_UNTRACK_MORE)
    for f in sg3-t-256/model.pkl sg3-r-256/model.pkl human-256x128/stylegan_human_v2_256x128-Gonly.pkl; do
      mkdir -p .gpu/shared/golden/$(dirname $f) && cp ../shared/golden/$f .gpu/shared/golden/$f; done
  fi
  if [ "${WITH_MODEL:-0}" = 1 ]; then
    mkdir -p .gpu/shared/golden/tiny-random-256
    (cd ../shared/golden/tiny-random-256 && cp manifest.json model.pkl seed0_* seed1_* "$root/.gpu/shared/golden/tiny-random-256/")
  fi
  du -sh .gpu; echo "prepared .gpu; now: run(command=\"bash cuda-kernels/gpu-run.sh run\", carry=[\".gpu\"])"
}

out=${OUT:-/tmp/draggan-gpu-out}
java_setup() {
  mkdir -p "$out" /tmp/jre
  [ -x /tmp/jre/bin/java ] || tar xJf .gpu/jre.txz -C /tmp/jre \
    || python3 -c 'import tarfile; tarfile.open(".gpu/jre.txz").extractall("/tmp/jre")'
  J=/tmp/jre/bin/java
  CP=$(ls .gpu/lib/*.jar | tr '\n' ':')$root/stylegan/src/main/resources
  FLAGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx24g -Xss4m
         -Ddraggan.shared=$root/.gpu/shared -Ddraggan.cuda.noEmulator=true"
  # cuBLAS for the baseline columns: the PyTorch venv's wheel (nvidia/cublas/lib or, with CUDA 13, nvidia/cu13/lib)
  CUBLAS=$(python3 -c 'import glob, os, nvidia
print(next(iter(sorted(f for p in nvidia.__path__ for f in glob.glob(os.path.join(p, "**", "libcublas.so.*"), recursive=True))), ""))' 2>/dev/null || true)
  echo "cuBLAS: ${CUBLAS:-not found}"
  [ -n "$CUBLAS" ] && export LD_LIBRARY_PATH=$(dirname "$CUBLAS"):${LD_LIBRARY_PATH:-}
}

part_tests() {
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  timeout ${T_TESTS:-420} $J $FLAGS -cp "$CP" io.github.dragganjvm.cuda.internal.GpuTestMain 2>&1 | grep -v '^WARNING' | tee "$out/tests.log"
}

part_seam() {
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  timeout ${T_SEAM:-240} $J $FLAGS -cp "$CP" io.github.dragganjvm.cuda.internal.GpuTestMain SeamOpsTest EmulatedModelsTest 2>&1 | grep -v '^WARNING' | tee "$out/seam.log"
  local rc=${PIPESTATUS[0]}
  echo "== the same with TF32 tensor cores (informative)" | tee -a "$out/seam.log"
  timeout ${T_SEAM_TF32:-120} $J $FLAGS -Ddraggan.cuda.tf32=true -cp "$CP" io.github.dragganjvm.cuda.internal.GpuTestMain SeamOpsTest EmulatedModelsTest 2>&1 | grep -v '^WARNING' | tee -a "$out/seam.log"
  return $rc
}

part_bench() {
  timeout ${T_BENCH:-400} $J $FLAGS -Ddraggan.cublas="$CUBLAS" -cp "$CP" io.github.dragganjvm.cuda.internal.tools.GpuBench 2>&1 | grep -v '^WARNING' | tee "$out/bench.log"
}

part_torch() {
  timeout 200 python3 - <<'PY' 2>&1 | tee "$out/torch.log"
import torch, time
torch.backends.cudnn.benchmark = True
def t(f, reps=20):
    for _ in range(3): f()
    torch.cuda.synchronize(); ts = []
    for _ in range(reps):
        s = time.perf_counter(); f(); torch.cuda.synchronize(); ts.append(time.perf_counter() - s)
    return sorted(ts)[len(ts) // 2] * 1e3
print("torch", torch.__version__, torch.cuda.get_device_name())
for tf32 in (False, True):
    torch.backends.cuda.matmul.allow_tf32 = tf32; torch.backends.cudnn.allow_tf32 = tf32
    for m, n, k in ((1024, 1024, 1024), (4096, 4096, 4096), (512, 4096, 4608)):
        a, b = torch.randn(m, k, device="cuda"), torch.randn(k, n, device="cuda")
        ms = t(lambda: a @ b); print(f"matmul {m}x{n}x{k} tf32={tf32}: {ms:.3f} ms, {2*m*n*k/ms/1e9:.2f} TFLOP/s")
    for res, ch in ((16, 512), (64, 512), (128, 256), (256, 128), (512, 64)):
        x, w = torch.randn(1, ch, res, res, device="cuda"), torch.randn(ch, ch, 3, 3, device="cuda")
        ms = t(lambda: torch.nn.functional.conv2d(x, w, padding=1))
        print(f"conv3x3 res {res} C=O={ch} tf32={tf32}: {ms:.3f} ms, {2*res*res*ch*ch*9/ms/1e9:.2f} TFLOP/s (cuDNN, no modulation)")
PY
}

part_sanitize() {
  for tool in memcheck racecheck; do
    timeout ${T_SANITIZE:-250} compute-sanitizer --tool $tool --print-limit 20 $J $FLAGS -cp "$CP" io.github.dragganjvm.cuda.internal.GpuTestMain \
      ElementwiseKernelsTest GemmAndConvKernelsTest ModulatedConvKernelsTest ResampleKernelsTest TrackingAndAdamKernelsTest SeamOpsTest 2>&1 \
      | grep -v '^WARNING' | tail -40 | tee -a "$out/sanitize.log"
  done
}

# The CLI on the carried runtime, at most T_DRAG seconds: app [JVM -D options] -- SUBCOMMAND ARGS...
app() {
  local props=()
  while [ "$1" != -- ]; do props+=("$1"); shift; done
  shift
  timeout ${T_DRAG:-120} $J $FLAGS "${props[@]}" -cp "$CP" io.github.dragganjvm.app.Main "$@"
}

# A drag's trace.csv (step,points,loss,ms): the first step (kernel loading, JIT) and the median of the others.
step_times() {
  [ -f "$1" ] || return 0
  local first; first=$(awk -F, 'NR == 2 { print $NF }' "$1")
  awk -F, 'NR > 2 { print $NF }' "$1" | sort -g | awk -v first="$first" '{ t[++n] = $1 } END {
    printf "step times: first %.1f ms; steps 2..%d median %.1f ms, min %.1f ms\n", first, n + 1, t[int((n + 1) / 2)], t[1] }'
}

part_models() {
  local found=0
  for m in stylegan dragcore app; do
    if ls .gpu/lib/$m-*-tests.jar >/dev/null 2>&1; then
      found=1
      echo "== $m tests on CUDA" | tee -a "$out/models.log"
      timeout ${T_MODELS:-300} $J $FLAGS -Ddraggan.backend=cuda -cp "$CP" io.github.dragganjvm.cuda.internal.GpuTestMain "package:io.github.dragganjvm.$m" 2>&1 | grep -v '^WARNING' | tee -a "$out/models.log"
    fi
  done
  local app_jar; app_jar=$(ls .gpu/lib/app-*-SNAPSHOT.jar 2>/dev/null | head -1)
  if [ -n "$app_jar" ]; then
    # The device tool brings back at most 8 files: pictures go to /tmp, and only the built-in drag's final frame to $out.
    local pics=/tmp/draggan-gpu-pics; rm -rf $pics; mkdir -p $pics
    echo "== the main job on CUDA: the README's drag on the built-in model" | tee -a "$out/models.log"
    app -Ddraggan.backend=${MODELS_BACKEND:-cuda} -- drag --seed 0 --points "35,54->35,60" --steps 80 --out $pics/builtin 2>&1 | tee -a "$out/models.log"
    step_times $pics/builtin/trace.csv | tee -a "$out/models.log"
    cp $pics/builtin/final-annotated.png "$out/builtin-final-annotated.png" 2>/dev/null
    for res in 256 512; do
      echo "== generate / drag at $res px on CUDA" | tee -a "$out/models.log"
      app -Ddraggan.backend=${MODELS_BACKEND:-cuda} -- generate --model random:$res --seed 0 --out "$pics/gen$res.png" 2>&1 | tee -a "$out/models.log"
      app -Ddraggan.backend=${MODELS_BACKEND:-cuda} -- drag --model random:$res --seed 0 --points "100,100->120,110" --steps 20 --out $pics/drag$res 2>&1 | tee -a "$out/models.log"
      step_times $pics/drag$res/trace.csv | tee -a "$out/models.log"
    done
  fi
  [ $found = 1 ] || [ -n "$app_jar" ] || echo "models: no stylegan/dragcore/app jars in .gpu/lib yet (run prepare after they land)" | tee -a "$out/models.log"
}

# The drag step side by side: our CLI on CUDA and the reference loop in PyTorch on the same GPU
# (benchmarks/pytorch/drag_bench.py --device cuda: the renderer's step, plain PyTorch ops, no custom CUDA ops), the
# same size, points and number of steps; a handle far from its target so that no side stops early.
part_dragcmp() {
  local pics=/tmp/draggan-gpu-pics; mkdir -p $pics
  for cfg in "256 16384 100,100->180,140" "512 32768 200,200->360,280"; do
    set -- $cfg
    echo "== drag $1 px, 30 steps, $3: ours on CUDA" | tee -a "$out/dragcmp.log"
    app -Ddraggan.backend=cuda -- drag --model random:$1 --seed 0 --points "$3" --steps 30 --out $pics/cmp$1 2>&1 | grep -av '^\[[#.]' | tee -a "$out/dragcmp.log"
    step_times $pics/cmp$1/trace.csv | tee -a "$out/dragcmp.log"
    echo "== ours with TF32 tensor cores (-Ddraggan.cuda.tf32=true)" | tee -a "$out/dragcmp.log"
    app -Ddraggan.backend=cuda -Ddraggan.cuda.tf32=true -- drag --model random:$1 --seed 0 --points "$3" --steps 30 --out $pics/cmp$1tf32 2>&1 | grep -a 'steps;\|reached' | tee -a "$out/dragcmp.log"
    step_times $pics/cmp$1tf32/trace.csv | tee -a "$out/dragcmp.log"
    echo "== the same in PyTorch on CUDA (its defaults: cuDNN convolutions on TF32, matmuls FP32)" | tee -a "$out/dragcmp.log"
    (cd benchmarks/pytorch && timeout ${T_DRAG:-120} python3 drag_bench.py --device cuda --res $1 --cbase $2 --seed 0 --points "$3" --steps 30 --threads 16 2>&1 | grep -v '^step' | tee -a "$out/dragcmp.log")
  done
}

# Generate, warm: ten seeds in one process (the first pays for loading the kernels), ours on CUDA then PyTorch's
# drag_bench.py --generate-only on the same GPU; both include the mapping, the synthesis and the 8-bit image on the host.
part_gentime() {
  for cfg in "256 16384" "512 32768"; do
    set -- $cfg
    echo "== generate $1 px, seeds 0-9: ours on CUDA" | tee -a "$out/gentime.log"
    app -Ddraggan.backend=cuda -- generate --model random:$1 --seeds 0-9 --grid 5x2 --out /tmp/gen$1.png 2>&1 | grep -a 'generated in' | tee -a "$out/gentime.log" \
      | awk '{ t[NR] = $5 * 1000 } END { n = 0; for (i = 2; i <= NR; i++) s[++n] = t[i]
             for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (s[j] < s[i]) { x = s[i]; s[i] = s[j]; s[j] = x }
             printf "ours: first %.1f ms; seeds 1-9 median %.1f ms, min %.1f ms\n", t[1], s[int((n + 1) / 2)], s[1] }' | tee -a "$out/gentime.log"
    echo "== PyTorch on CUDA" | tee -a "$out/gentime.log"
    (cd benchmarks/pytorch && timeout ${T_DRAG:-120} python3 drag_bench.py --device cuda --res $1 --cbase $2 --seed 0 --generate-only --generate-reps 9 2>&1 | grep -a 'generate' | tee -a "$out/gentime.log")
  done
}

# Where the host's time goes on CUDA (-Ddraggan.profile=true: every op call timed on the host; launches are
# asynchronous, so the waits show up in the copies to the host): generate at 256 px (ten seeds) and 30 drag steps at
# 512 px.
part_profile() {
  for young in "" "-Ddraggan.cuda.reclaimAfterMiB=1048576"; do
    echo "== drag 512 px / generate 256 px, ${young:-the default reclaim budget}" | tee -a "$out/profile.log"
    app $young -Ddraggan.backend=cuda -Ddraggan.profile=true -- drag --model random:512 --seed 0 --points "200,200->360,280" --steps 30 --out /tmp/prof512y 2>&1 | grep -a 'CUDA memory' | tee -a "$out/profile.log"
    step_times /tmp/prof512y/trace.csv | tee -a "$out/profile.log"
    app $young -Ddraggan.backend=cuda -Ddraggan.profile=true -- generate --model random:256 --seeds 0-9 --grid 5x2 --out /tmp/prof256y.png 2>&1 | grep -a 'CUDA memory\|seed [1-9]' | tr '\n' ' ' | tee -a "$out/profile.log"; echo | tee -a "$out/profile.log"
  done
  echo "== profile: generate 256 px, seeds 0-9" | tee -a "$out/profile.log"
  app -Ddraggan.backend=cuda -Ddraggan.profile=true -- generate --model random:256 --seeds 0-9 --grid 5x2 --out /tmp/prof256.png 2>&1 | grep -av '^\[[#.]' | head -60 | tee -a "$out/profile.log"
  echo "== profile, each CUDA op waiting for the device (-Ddraggan.profile.sync=true): drag 512 px, 30 steps" | tee -a "$out/profile.log"
  app -Ddraggan.backend=cuda -Ddraggan.profile=true -Ddraggan.profile.sync=true -- drag --model random:512 --seed 0 --points "200,200->360,280" --steps 30 --out /tmp/prof512s 2>&1 | grep -av '^\[[#.]' | head -60 | tee -a "$out/profile.log"
  echo "== profile: drag 512 px, 30 steps" | tee -a "$out/profile.log"
  app -Ddraggan.backend=cuda -Ddraggan.profile=true -- drag --model random:512 --seed 0 --points "200,200->360,280" --steps 30 --out /tmp/prof512 2>&1 | grep -av '^\[[#.]' | head -60 | tee -a "$out/profile.log"
}

# The model zoo on the GPU: StyleGAN3 T and R and StyleGAN-Human (the golden models, carried with WITH_ZOO=1), each
# through the CLI on CUDA and on the CPU (vector backend) of the same box: generate and an 8-step drag, then the two
# compared: tracked points identical at every step, losses and the 8-bit start and final images.
part_zoo() {
  local z=/tmp/draggan-zoo; rm -rf $z; mkdir -p $z
  for cfg in "sg3-t-256/model.pkl 128,128->150,140" "sg3-r-256/model.pkl 128,128->150,140" \
             "human-256x128/stylegan_human_v2_256x128-Gonly.pkl 64,128->80,140"; do
    set -- $cfg
    local name=${1%%/*} f=$root/.gpu/shared/golden/$1
    [ -f "$f" ] || { echo "zoo: $1 not carried (prepare with WITH_ZOO=1)" | tee -a "$out/zoo.log"; continue; }
    for be in ${ZOO_BACKENDS:-cuda vector}; do
      echo "== $name on $be" | tee -a "$out/zoo.log"
      app -Ddraggan.backend=$be -- drag --model "$f" --seed 0 --points "$2" --steps 8 --out $z/$name-$be 2>&1 | grep -av '^\[[#.]' | tee -a "$out/zoo.log"
      step_times $z/$name-$be/trace.csv | tee -a "$out/zoo.log"
    done
    set -- ${ZOO_BACKENDS:-cuda vector}
    python3 - $z/$name-$1 $z/$name-$2 <<'PY' 2>&1 | tee -a "$out/zoo.log"
import csv, sys
import numpy as np
from PIL import Image
a, b = sys.argv[1], sys.argv[2]
ta, tb = (list(csv.DictReader(open(d + '/trace.csv'))) for d in (a, b))
same = [ra['points'] == rb['points'] for ra, rb in zip(ta, tb)]
dl = max(abs(float(ra['loss']) - float(rb['loss'])) / max(abs(float(rb['loss'])), 1e-12) for ra, rb in zip(ta, tb))
print(f"compare: {len(ta)} / {len(tb)} steps, tracked points identical at {sum(same)} of {len(same)} steps, loss relative diff max {dl:.2e}")
for png in ('start.png', 'final.png'):
    x, y = (np.asarray(Image.open(d + '/' + png), dtype=np.int16) for d in (a, b))
    d = np.abs(x - y)
    print(f"compare: {png} {x.shape}: max |diff| {d.max()} of 255, pixels differing {np.count_nonzero(d.max(axis=-1))} of {d.shape[0] * d.shape[1]}")
print("ZOO " + ("OK" if all(same) and len(ta) == len(tb) else "MISMATCH") + " " + a.rsplit('/', 1)[1])
PY
  done
}

# The device tool sends the tracked tree (37 MiB) with the carry (.gpu, 28 MiB), 64 MiB at most together. The golden
# files of the other checkpoint layouts (13 MiB) are read by loader tests only, never there: 'untrack' takes them out
# of the index and ignores them for the call (the files stay on disk), 'retrack' puts both back. Untracked, they show
# in 'git status' as deleted; never commit in between.
# GPU_UNTRACK_MORE names more (e.g. the shipped toy model, 7 MiB, when only part 'zoo' runs).
GPU_UNTRACKED="testdata/golden/compact-128/model-tf.pkl testdata/golden/compact-128/model-tf-ada.pkl testdata/golden/compact-128/model-rosinality.pt ${GPU_UNTRACK_MORE:-}"
untrack() {
  ex=$(git rev-parse --git-path info/exclude)
  if grep -qx '# gpu-run.sh untrack: begin' "$ex"; then echo "untrack: already untracked; run 'cuda-kernels/gpu-run.sh retrack' first" >&2; return 2; fi
  git rm -q --cached $GPU_UNTRACKED
  { echo "# gpu-run.sh untrack: begin"; for f in $GPU_UNTRACKED; do echo "/$f"; done; echo "# gpu-run.sh untrack: end"; } >> "$ex"
  echo "untracked for the device call: $GPU_UNTRACKED; afterwards: cuda-kernels/gpu-run.sh retrack"
}
retrack() {   # puts back what the block in info/exclude names (whatever GPU_UNTRACK_MORE was then)
  ex=$(git rev-parse --git-path info/exclude)
  local files; files=$(sed -n '/^# gpu-run.sh untrack: begin$/,/^# gpu-run.sh untrack: end$/{/^\//s|^/||p}' "$ex")
  sed -i '/^# gpu-run.sh untrack: begin$/,/^# gpu-run.sh untrack: end$/d' "$ex"
  [ -z "$files" ] || git reset -q -- $files
  git status --short
}

case "${1:-}" in
  prepare) prepare ;;
  untrack) untrack ;;
  retrack) retrack ;;
  run)
    [ -f .gpu/jre.txz ] || { echo "no .gpu/jre.txz: run 'cuda-kernels/gpu-run.sh prepare' on the development machine and carry .gpu"; exit 2; }
    java_setup
    parts=${2:-"tests bench torch models"}
    status=0
    for p in $parts; do echo "===== $p"; part_$p || { echo "===== $p FAILED"; status=1; }; done
    exit $status ;;
  *) sed -n '2,/^set -uo/p' "$0" | sed '$d'; exit 2 ;;
esac
