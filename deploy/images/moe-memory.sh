# Sourced by the runtime image's entrypoint (deploy/images/moe) and by bin/moe: sizes the JVM heap of
# `moe serve` from the container's memory. POSIX sh. The whole budget, and why these numbers, is in
# docs/memory.md; the server shares out the rest of the memory at start-up from the same sources.

# The container's memory M in bytes, or nothing when no limit is found: MOE_MEMORY_LIMIT (the operator
# sets it from the downward API's limits.memory), else the cgroup v2 limit, else the cgroup v1 limit.
# "No limit" values (v2 "max", v1's 2^63 less a page) are skipped. The server's ContainerMemory reads
# the same sources in the same order. $1: the cgroup mount, /sys/fs/cgroup (tests pass their own).
moe_memory_limit() {
  if [ -n "${MOE_MEMORY_LIMIT:-}" ]; then
    case $MOE_MEMORY_LIMIT in
      *[!0-9]* | 0*)
        echo "moe: MOE_MEMORY_LIMIT must be the container's memory in bytes, e.g. 1073741824; got '$MOE_MEMORY_LIMIT'" >&2
        return 1 ;;
    esac
    echo "$MOE_MEMORY_LIMIT"
    return 0
  fi
  for _moe_file in "$1/memory.max" "$1/memory/memory.limit_in_bytes"; do
    [ -r "$_moe_file" ] || continue
    _moe_value=$(cat "$_moe_file")
    case $_moe_value in '' | *[!0-9]*) continue ;; esac
    # From 2^62 on is "no limit" (no container has that much); test fails on numbers beyond 64 bits too.
    if [ "$_moe_value" -gt 0 ] 2>/dev/null && [ "$_moe_value" -lt 4611686018427387904 ] 2>/dev/null; then
      echo "$_moe_value"
      return 0
    fi
  done
}

# The heap flag for `moe serve`: -Xmx of a quarter of M, at least 256 MiB and at most 4 GiB. The KV
# cache and the weights live outside the heap, which holds requests, activations, the tokenizer and
# Quarkus. Nothing when MOE_JAVA_OPTS sizes the heap itself or no limit is found (the JVM's own
# default, a quarter of the machine or container, applies). $1: the cgroup mount.
moe_heap_flag() {
  case " ${MOE_JAVA_OPTS:-}" in
    *" -Xmx"* | *"-XX:MaxHeapSize"* | *"-XX:MaxRAM"*) return 0 ;;
  esac
  _moe_limit=$(moe_memory_limit "$1") || return 1
  if [ -z "$_moe_limit" ]; then
    return 0
  fi
  _moe_heap_mib=$((_moe_limit / 4 / 1048576))
  if [ "$_moe_heap_mib" -lt 256 ]; then
    _moe_heap_mib=256
  elif [ "$_moe_heap_mib" -gt 4096 ]; then
    _moe_heap_mib=4096
  fi
  echo "-Xmx${_moe_heap_mib}m"
}
