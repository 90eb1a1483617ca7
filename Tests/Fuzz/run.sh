#!/usr/bin/env bash
# Builds the fuzz targets (libFuzzer with AddressSanitizer) and runs each for SECONDS (10 by
# default) on one core, starting from the seeds in Tests/Fuzz/Seeds (and, for the notebook
# checker, the lessons in Notebooks/). Inputs that found new coverage are kept in
# Tests/Fuzz/.build/corpus/TARGET; a crashing input is saved in Tests/Fuzz/.build/crashes/TARGET
# and the script fails.
#
#   bash Tests/Fuzz/run.sh [SECONDS] [TARGET ...]
#   RUNS=1000000 bash Tests/Fuzz/run.sh 7200 FuzzTar    # a campaign: stops after RUNS inputs
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-10}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(FuzzNotebook FuzzNpy FuzzNpz FuzzIDX FuzzCIFAR FuzzTar FuzzGzip FuzzWeights FuzzKeras FuzzPNG FuzzJPEG)
fi
flags=(-Xswiftc -sanitize=fuzzer,address)
# GNU gold stops with an internal error on the fuzzer's objects; lld links them.
if [ "$(uname)" = Linux ]; then flags+=(-Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld); fi
swift build "${flags[@]}"
bin=$(swift build "${flags[@]}" --show-bin-path)

# Recording where each allocation came from costs a quarter of the time of the readers that
# allocate most (StackDepot, unwinding); one frame is kept. Rerun a finding with
# ASAN_OPTIONS=malloc_context_size=30 for the whole stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=1}

failed=0
for target in "${targets[@]}"; do
    corpus=.build/corpus/$target
    crashes=.build/crashes/$target
    mkdir -p "$corpus" "$crashes"
    seeds=("Seeds/$target")
    if [ "$target" = FuzzNotebook ]; then seeds+=(../../Notebooks); fi
    log=.build/$target.log
    options=()
    if [ -n "${RUNS:-}" ]; then options+=(-runs="$RUNS"); fi
    # The lessons are up to 6 KB, mostly Markdown: 2 KB still holds several cells of any
    # statement, and shorter inputs are checked several times faster.
    if [ "$target" = FuzzNotebook ]; then options+=(-max_len=2048); fi
    # libhdf5 1.10 asks realloc for 2^64 - 136 bytes on a corrupt local heap: in a normal process
    # that is NULL and an error cnnb reports (DecoderFindingsTests), so here too.
    asan=$ASAN_OPTIONS
    # Every HDF5 read forks a probe first (KerasArchive): a fork copies the page tables of the
    # whole process, so the freed-memory quarantine (256 MB by default) is kept small.
    if [ "$target" = FuzzKeras ]; then asan+=:allocator_may_return_null=1:quarantine_size_mb=8; fi
    # A header that claims gigabytes must be refused, not allocated: 1 GB in one malloc is a finding.
    if ASAN_OPTIONS=$asan "$bin/$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -malloc_limit_mb=1100 \
        -print_final_stats=1 -artifact_prefix="$crashes/" ${options[@]+"${options[@]}"} "$corpus" "${seeds[@]}" > "$log" 2>&1; then
        outcome="no crash"
    else
        outcome="CRASH (see $log and $crashes)"
        failed=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    coverage=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
    printf '%-13s %10s runs in %ss, %s, %s\n' "$target" "${runs:-?}" "$seconds" "${coverage:-cov: ?}" "$outcome"
done
exit $failed
