#!/bin/bash
# run.sh - make real image sets and fuzz restore's reading of them.
#
#     test/fuzz/run.sh slice    a short deterministic run (make test)
#     test/fuzz/run.sh timed    FUZZ_TIME seconds for each fuzzer (make fuzz)
#
# Dumps a few e2e targets (files and locks, epoll, unix and inet sockets, a
# process tree, an incremental chain) as root, then runs
#  - FUZZ_IMAGES (build-asan/fuzz/fuzz-images, ASan+UBSan): structure-aware
#    mutations of each set, through restore_prepare();
#  - FUZZ_READER (build-fuzz/fuzz-reader, libFuzzer+ASan+UBSan): the image
#    reader and each kind's validator, from a seed corpus of every message
#    image of the sets.
# Any crash, leak or sanitizer report fails it. Needs root (it dumps).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh"

MODE=${1:-slice}
FUZZ_TIME=${FUZZ_TIME:-60}
FUZZ_ITER=${FUZZ_ITER:-600}    # per set, slice mode
FUZZ_RUNS=${FUZZ_RUNS:-20000}  # libFuzzer executions, slice mode
FUZZ_IMAGES=${FUZZ_IMAGES:-$PWD/build-asan/fuzz/fuzz-images}
FUZZ_READER=${FUZZ_READER:-$PWD/build-fuzz/fuzz-reader}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

e2e_init
[[ -x $FUZZ_IMAGES ]] || fail "no $FUZZ_IMAGES (make fuzz builds it)"
[[ -x $FUZZ_READER ]] || fail "no $FUZZ_READER (make fuzz builds it)"

SETS=()
# make_set NAME TARGET ARGS...: dump the target into $T/sets/NAME.
make_set() {
	local name=$1 w=$T/w-$1
	shift
	start_target "$w" "$@"
	dump_and_reap "$TARGET_PID" "$T/sets/$name"
	SETS+=("$T/sets/$name")
}

mkdir -p "$T/sets"
make_set files 61-files
make_set epoll 71-epoll
make_set unix 80-unix-sk
make_set inet 90-inet 4
make_set tree 53-fork-ring
# An incremental chain: a pre-dump, then the dump on it.
start_target "$T/w-chain" 01-basic 4
pid=$TARGET_PID
ck_ok pre-dump --pid "$pid" --images "$T/sets/chain0"
ck_ok dump --pid "$pid" --images "$T/sets/chain1" --parent "$T/sets/chain0"
reap "$pid"
wait_gone "$pid"
SETS+=("$T/sets/chain1")

# The seed corpus: every message image, its kind's magic number first.
corpus=$T/corpus
mkdir -p "$corpus"
n=0
for d in "${SETS[@]}" "$T/sets/chain0"; do
	for f in "$d"/*.img; do
		case ${f##*/} in pages-* | shmem-pages-* | filedata-*) continue ;; esac
		n=$((n + 1))
		cp "$f" "$corpus/$n-${f##*/}"
	done
done
log "seed corpus: $n images"

if [[ $MODE == timed ]]; then
	per_set=$((FUZZ_TIME / ${#SETS[@]} + 1))
	for d in "${SETS[@]}"; do
		log "fuzz-images on ${d##*/} for ${per_set}s"
		"$FUZZ_IMAGES" -t "$per_set" -s "$RANDOM" "$d" || fail "fuzz-images failed on ${d##*/}"
	done
	mkdir -p "$T/found"
	"$FUZZ_READER" -max_total_time="$FUZZ_TIME" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$PWD/build-fuzz/" "$T/found" "$corpus" ||
		fail "fuzz-reader found a crash (build-fuzz/crash-*)"
else
	seed=1
	for d in "${SETS[@]}"; do
		"$FUZZ_IMAGES" -n "$FUZZ_ITER" -s "$seed" "$d" || fail "fuzz-images failed on ${d##*/}"
		seed=$((seed + 1))
	done
	"$FUZZ_READER" -runs="$FUZZ_RUNS" -seed=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$PWD/build-fuzz/" "$corpus" ||
		fail "fuzz-reader found a crash (build-fuzz/crash-*)"
fi
log "fuzzing: no crash, no sanitizer report"
