#!/usr/bin/env bash
# Side-by-side benchmark: llama.cpp and Paternoster on the same GGUF file, same workloads.
#
# llama.cpp comes from the npm package node-llama-cpp (pinned), which ships llama.cpp's source
# as a git bundle; we build only the three command-line tools we need, CPU only, into a cache
# directory OUTSIDE this repository (nothing of llama.cpp is ever committed here).
#
#   bench/llamacpp.sh --build-only                  # install + build (~6 min on 2 cores), cached
#   bench/llamacpp.sh --model /tmp/qwen05-q8.gguf   # run everything, print Paternoster/llama.cpp ratios
#
# Make a model first, e.g.:  ./paternoster synth --shape qwen2.5-0.5b --type q8_0 --out /tmp/qwen05-q8.gguf
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
NODE_LLAMA_CPP_VERSION="3.21.1"
CACHE="${PATERNOSTER_LLAMACPP_CACHE:-$HOME/.cache/paternoster/llamacpp}"
THREADS="${THREADS:-2}"
MODEL=""
BUILD_ONLY=0
SKIP_LLAMACPP=0
SKIP_PATERNOSTER=0
ENGINE_ARGS="${ENGINE_ARGS:-}"
OUT=""
LLAMA_PORT=18081
PATERNOSTER_PORT=18082
# The shared workload: 128 prompt tokens, 128 generated tokens (llama-batched-bench's -npp/-ntg).
PP=128
TG=128
PARALLEL="1,16,32"
CLIENTS=32
REQUESTS=64
SERVER_SLOTS=8
REPS=3
ONLY="bench,batched,serving"

usage() {
  cat <<EOF
usage: bench/llamacpp.sh [--build-only] [--model GGUF] [options]

  --build-only           install node-llama-cpp@$NODE_LLAMA_CPP_VERSION and build llama.cpp, then stop
  --model GGUF           run the benchmarks on this model file
  --cache DIR            where llama.cpp is installed and built (default: $CACHE)
  --threads N            compute threads for both engines (default: $THREADS)
  --out DIR              keep every tool's raw output here (default: a new /tmp directory)
  --requests N           requests of the serving benchmark (default: $REQUESTS)
  --clients N            concurrent clients of the serving benchmark (default: $CLIENTS)
  --parallel LIST        sequences for the batched benchmark (default: $PARALLEL)
  --reps N               llama-bench repetitions (default: $REPS)
  --only LIST            phases to run, of bench (pp/tg), batched, serving (default: all)
  --engine-args "ARGS"   extra Paternoster engine options for bench and serve, e.g. "--numerics fast"
  --skip-llamacpp        only run Paternoster
  --skip-paternoster     only run llama.cpp
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --build-only) BUILD_ONLY=1 ;;
    --model) MODEL="$2"; shift ;;
    --engine-args) ENGINE_ARGS="$2"; shift ;;
    --cache) CACHE="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    --requests) REQUESTS="$2"; shift ;;
    --clients) CLIENTS="$2"; shift ;;
    --parallel) PARALLEL="$2"; shift ;;
    --reps) REPS="$2"; shift ;;
    --only) ONLY="$2"; shift ;;
    --skip-llamacpp) SKIP_LLAMACPP=1 ;;
    --skip-paternoster) SKIP_PATERNOSTER=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "llamacpp.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

log() { echo "[llamacpp.sh] $*" >&2; }
phase() { [[ ",$ONLY," == *",$1,"* ]]; }

SRC="$CACHE/src"
BUILD="$CACHE/build"
BIN="$BUILD/bin"
TOOLS=(llama-server llama-bench llama-batched-bench)

have_binaries() {
  for t in "${TOOLS[@]}"; do [ -x "$BIN/$t" ] || return 1; done
}

install_and_build() {
  if have_binaries; then
    log "llama.cpp binaries already built in $BIN (delete $CACHE to rebuild)"
    return
  fi
  for tool in npm git cmake make g++; do
    command -v "$tool" >/dev/null || { echo "llamacpp.sh: $tool is required (apt-get install nodejs npm git cmake g++)" >&2; exit 1; }
  done
  mkdir -p "$CACHE"
  local pkg="$CACHE/npm/node_modules/node-llama-cpp"
  if [ ! -f "$pkg/llama/gitRelease.bundle" ]; then
    log "installing node-llama-cpp@$NODE_LLAMA_CPP_VERSION from the npm registry into $CACHE/npm"
    # --ignore-scripts: its postinstall would fetch or build its own Node addon; we only want the
    # llama.cpp source bundle it carries. --omit=optional skips the prebuilt addon packages.
    npm install --prefix "$CACHE/npm" --ignore-scripts --omit=optional --no-audit --no-fund \
      --no-save "node-llama-cpp@$NODE_LLAMA_CPP_VERSION" >&2
  fi
  [ -f "$pkg/llama/gitRelease.bundle" ] || { echo "llamacpp.sh: $pkg/llama/gitRelease.bundle not found" >&2; exit 1; }
  if [ ! -f "$SRC/CMakeLists.txt" ]; then
    log "cloning llama.cpp from the bundle ($(cat "$pkg/llama/llama.cpp.info.json" 2>/dev/null | tr -d '\n ' || true))"
    rm -rf "$SRC"
    git clone --quiet "$pkg/llama/gitRelease.bundle" "$SRC"
  fi
  log "configuring (CPU, GGML_NATIVE=ON, Release)"
  # The UI switches keep the build offline: by default llama-server's CMake would fetch a prebuilt
  # web UI. Tests, the unified app and OpenSSL are not needed for benchmarking on loopback.
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
    -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF >&2
  log "building ${TOOLS[*]} with -j2 (takes several minutes)"
  local t0=$SECONDS
  cmake --build "$BUILD" --config Release -j2 --target "${TOOLS[@]}" >&2
  have_binaries || { echo "llamacpp.sh: build finished but binaries are missing in $BIN" >&2; exit 1; }
  log "built in $((SECONDS - t0)) s: $BIN"
}

install_and_build
[ "$BUILD_ONLY" = 1 ] && exit 0
[ -n "$MODEL" ] || { usage >&2; exit 2; }
[ -f "$MODEL" ] || { echo "llamacpp.sh: no such model file: $MODEL" >&2; exit 1; }
MODEL="$(readlink -f "$MODEL")"
OUT="${OUT:-$(mktemp -d /tmp/paternoster-vs-llamacpp.XXXXXX)}"
mkdir -p "$OUT"
log "model $MODEL, $THREADS threads, raw results in $OUT"
# Other processes on the same cores distort both engines (llama.cpp's spinning thread barriers
# most): the load average goes on record with the results.
log "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

PN="$ROOT/paternoster"
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true; }
trap cleanup EXIT

# Waits until an HTTP server answers on 127.0.0.1:$1 (up to $2 seconds).
wait_for_port() {
  local port=$1 limit=$2 i
  for ((i = 0; i < limit * 2; i++)); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/health" || curl -sf -o /dev/null "http://127.0.0.1:$port/v1/models"; then
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

# The serving workload, identical for every server: closed loop, CLIENTS clients, exact lengths.
# A long request timeout: llama-server answers queued requests only when a slot frees up, and on
# busy cores the last of 32 clients can wait longer than the default 600 s.
bench_url() {
  local port=$1 json=$2
  "$PN" bench --url "http://127.0.0.1:$port" --concurrency "$CLIENTS" --num-requests "$REQUESTS" \
    --input-len "$PP" --output-len "$TG" --tokenizer "$MODEL" --seed 1 --request-timeout 3600 --json "$json"
}

if [ "$SKIP_LLAMACPP" = 0 ]; then
  if phase bench; then
    log "llama-bench: pp$PP / tg$TG"
    "$BIN/llama-bench" -m "$MODEL" -p "$PP" -n "$TG" -t "$THREADS" -r "$REPS" -o json > "$OUT/llama-bench.json"
  fi

  if phase batched; then
    # Every sequence needs PP+TG cells; size the context for the largest parallel count.
    max_pl=$(echo "$PARALLEL" | tr ',' '\n' | sort -n | tail -1)
    log "llama-batched-bench: $PARALLEL sequences x ($PP in, $TG out)"
    "$BIN/llama-batched-bench" -m "$MODEL" -c $((max_pl * (PP + TG))) -b 2048 -ub 512 \
      -npp "$PP" -ntg "$TG" -npl "$PARALLEL" -t "$THREADS" --output-format jsonl \
      > "$OUT/llama-batched-bench.jsonl" 2> "$OUT/llama-batched-bench.log"
  fi
fi

if [ "$SKIP_LLAMACPP" = 0 ] && phase serving; then
  log "llama-server -np $SERVER_SLOTS + paternoster bench --url ($CLIENTS clients)"
  "$BIN/llama-server" -m "$MODEL" --host 127.0.0.1 --port "$LLAMA_PORT" -np "$SERVER_SLOTS" \
    -c $((SERVER_SLOTS * (PP + TG + 16))) -t "$THREADS" --metrics > "$OUT/llama-server.log" 2>&1 &
  SERVER_PID=$!
  if wait_for_port "$LLAMA_PORT" 120; then
    bench_url "$LLAMA_PORT" "$OUT/llama-server-serving.json" || log "serving benchmark against llama-server failed"
  else
    log "llama-server did not start (see $OUT/llama-server.log)"
  fi
  stop_server
fi

if [ "$SKIP_PATERNOSTER" = 0 ] && { phase bench || phase batched; }; then
  # One batched bench gives both the 1-sequence pp/tg numbers and the batched ones.
  list="$PARALLEL"
  phase batched || list=1
  phase bench && [[ ",$list," != *",1,"* ]] && list="1,$list"
  log "paternoster bench --batched-bench: $list sequences x ($PP in, $TG out)"
  "$PN" bench --model "$MODEL" --batched-bench --parallel "$list" --input-len "$PP" --output-len "$TG" \
    --threads "$THREADS" $ENGINE_ARGS --json "$OUT/paternoster-batched-bench.json"
fi

if [ "$SKIP_PATERNOSTER" = 0 ] && phase serving; then
  log "paternoster bench in-process ($CLIENTS clients)"
  "$PN" bench --model "$MODEL" --concurrency "$CLIENTS" --num-requests "$REQUESTS" \
    --input-len "$PP" --output-len "$TG" --threads "$THREADS" $ENGINE_ARGS --seed 1 --json "$OUT/paternoster-inprocess.json"

  # picocli prints usage and exits 0 for an unknown command with --help, so look for it in the list
  if "$PN" --help 2>/dev/null | grep -qE '^ +serve( |$)'; then
    log "paternoster serve + paternoster bench --url ($CLIENTS clients)"
    "$PN" serve --model "$MODEL" --host 127.0.0.1 --port "$PATERNOSTER_PORT" $ENGINE_ARGS > "$OUT/paternoster-serve.log" 2>&1 &
    SERVER_PID=$!
    if wait_for_port "$PATERNOSTER_PORT" 120; then
      bench_url "$PATERNOSTER_PORT" "$OUT/paternoster-serving.json" || log "serving benchmark against paternoster serve failed"
    else
      log "paternoster serve did not start (see $OUT/paternoster-serve.log)"
    fi
    stop_server
  else
    log "this build has no 'paternoster serve' yet: skipping the HTTP comparison"
  fi
fi

log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# The summary table: node is at hand (npm needs it), so it reads the JSON files.
node - "$OUT" "$PP" "$TG" <<'EOF'
const fs = require('fs'), path = require('path');
const [out, pp, tg] = [process.argv[2], +process.argv[3], +process.argv[4]];
const read = f => { try { return fs.readFileSync(path.join(out, f), 'utf8'); } catch { return null; } };
const json = f => { const t = read(f); try { return t ? JSON.parse(t) : null; } catch { return null; } };
const rows = [];
const row = (what, llama, pat, unit) => rows.push({what, llama, pat, unit});

const lb = json('llama-bench.json') || [];
const lbPP = lb.find(r => r.n_prompt > 0 && r.n_gen === 0), lbTG = lb.find(r => r.n_gen > 0 && r.n_prompt === 0);
const pb = json('paternoster-batched-bench.json');
const pbAt = n => pb && pb.results.find(r => r.sequences === n);
row(`prefill pp${pp} (1 seq)`, lbPP && lbPP.avg_ts, pbAt(1) && pbAt(1).prefill_tok_s, 'tok/s');
row(`decode tg${tg} (1 seq)`, lbTG && lbTG.avg_ts, pbAt(1) && pbAt(1).decode_tok_s, 'tok/s');
const bb = (read('llama-batched-bench.jsonl') || '').split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l));
for (const r of bb) {
  const p = pbAt(r.pl);
  row(`batched decode, ${r.pl} seqs`, r.speed_tg, p && p.decode_tok_s, 'tok/s');
}
const ls = json('llama-server-serving.json'), ps = json('paternoster-serving.json'), pi = json('paternoster-inprocess.json');
const s = (j, k, q) => j && j.summary && (q ? j.summary[k] && j.summary[k][q] : j.summary[k]);
row('serving output tok/s (HTTP)', s(ls, 'output_throughput'), s(ps, 'output_throughput'), 'tok/s');
row('serving TTFT p50 (HTTP)', s(ls, 'ttft_ms', 'p50'), s(ps, 'ttft_ms', 'p50'), 'ms');
row('serving e2e p50 (HTTP)', s(ls, 'e2e_latency_ms', 'p50'), s(ps, 'e2e_latency_ms', 'p50'), 'ms');
row('serving output tok/s (Paternoster in-process)', s(ls, 'output_throughput'), s(pi, 'output_throughput'), 'tok/s');
row('serving TTFT p50 (Paternoster in-process)', s(ls, 'ttft_ms', 'p50'), s(pi, 'ttft_ms', 'p50'), 'ms');
const f = v => v == null || isNaN(v) ? '-' : (+v).toFixed(1);
const pad = (t, n) => String(t).padEnd(n);
console.log(`\n${pad('workload', 46)} ${pad('llama.cpp', 12)} ${pad('Paternoster', 12)} ${pad('ratio P/L', 10)}`);
for (const r of rows) {
  const ratio = r.llama && r.pat ? (r.pat / r.llama).toFixed(2) + 'x' : '-';
  console.log(`${pad(r.what, 46)} ${pad(f(r.llama), 12)} ${pad(f(r.pat), 12)} ${pad(ratio, 10)} ${r.unit}`);
}
console.log(`\n(ms rows: a ratio below 1 means Paternoster is faster; tok/s rows: above 1. Raw results: ${out})`);
EOF
