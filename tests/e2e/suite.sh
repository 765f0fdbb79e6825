#!/usr/bin/env bash
# The end-to-end checks, one body for every cluster: sourced by tests/e2e/local-cluster.sh and
# tests/e2e/kind.sh after they have a cluster and the images in it. They define:
#   k                   kubectl for the cluster (a function)
#   install_operator    installs the operator into $operator_ns and waits until it is available
#   uninstall_operator  removes it again
#   CLIENT_IMAGE        an image with busybox (sh, wget) to call Services from inside the cluster
# Each step prints what it checked and how long it took.
operator_ns=${operator_ns:-moe-system}
app_ns=${app_ns:-moe-e2e}
suite_start=$SECONDS
step_start=$SECONDS
step() { step_start=$SECONDS; printf '\n== %s\n' "$*" >&2; }
passed() { printf 'e2e: ok (%d s): %s\n' "$((SECONDS - step_start))" "$*" >&2; }
die() { printf 'e2e: FAILED: %s\n' "$*" >&2; exit 1; }

# tiny-cpu's model, made the way its init container makes it (synthetic://?experts=8&...): the
# reference for what the cluster must answer.
reference_completion() {
  local model
  model=$(mktemp --suffix .gguf)
  bin/moe synth --out "$model" --experts 8 --experts-used 2 --layers 2 --hidden 128 >/dev/null 2>&1
  bin/moe generate --model "$model" --prompt "Once upon a time" --max-tokens 16 2>/dev/null
  rm -f "$model"
}
# Waits until a resource's jsonpath has a value (kubectl wait --for=jsonpath needs kubectl >= 1.23).
wait_for() { # namespace resource jsonpath value seconds
  local deadline=$((SECONDS + $5))
  while ((SECONDS < deadline)); do
    [[ $(k get -n "$1" "$2" -o jsonpath="$3" 2>/dev/null) == "$4" ]] && return 0
    sleep 1
  done
  return 1
}
completion_request='{"model": "synthetic", "prompt": "Once upon a time", "max_tokens": 16, "temperature": 0}'
completion_text() { python3 -c 'import json, sys; print(json.load(sys.stdin)["choices"][0]["text"], end="")'; }

step "install the operator"
install_operator
passed "operator available in $operator_ns"

step "serve deploy/examples/tiny-cpu.yaml (EP=2)"
k create namespace "$app_ns" >/dev/null
# On a small node (2 cores: the local cluster) each rank asks less CPU, so that two groups of two
# ranks and the operator fit; the example asks 500m.
sed "s/cpu: 500m/cpu: ${RANK_CPU:-500m}/" deploy/examples/tiny-cpu.yaml | k apply -n "$app_ns" -f - >/dev/null
k wait -n "$app_ns" --for=condition=Ready moe/tiny-cpu --timeout=10m >/dev/null || die "tiny-cpu did not become Ready"
k get moe -n "$app_ns" >&2
passed "tiny-cpu Ready after kubectl apply"

step "completions through svc/tiny-cpu, from inside the cluster and through a port-forward"
expected=$(reference_completion)
[[ -n $expected ]] || die "no reference text from a local moe generate"
k run -n "$app_ns" client --image "$CLIENT_IMAGE" --image-pull-policy IfNotPresent --restart Never --command -- sleep 3600 >/dev/null
k wait -n "$app_ns" --for=condition=Ready pod/client --timeout=2m >/dev/null || die "the client pod did not start"
inside=$(k exec -n "$app_ns" client -- timeout 60 wget -q -O - --header 'Content-Type: application/json' \
  --post-data "$completion_request" http://tiny-cpu:8000/v1/completions | completion_text) || die "the in-cluster request failed"
[[ $inside == "$expected" ]] || die "in-cluster completion '$inside' differs from the local moe generate's '$expected'"
passed "in-cluster completion equals the local moe generate's: ${expected@Q}"
local_port=${local_port:-18000}
k port-forward -n "$app_ns" svc/tiny-cpu "$local_port:8000" >/dev/null 2>&1 &
port_forward_pid=$!
for _ in $(seq 30); do curl -fsS "http://127.0.0.1:$local_port/v1/models" >/dev/null 2>&1 && break; sleep 1; done
outside=$(curl -fsS "http://127.0.0.1:$local_port/v1/completions" -H 'Content-Type: application/json' \
  -d "$completion_request" | completion_text) || die "the request through the port-forward failed"
kill "$port_forward_pid" 2>/dev/null; port_forward_pid=""
[[ $outside == "$expected" ]] || die "port-forwarded completion '$outside' differs from '$expected'"
passed "completion through a port-forward equals it too"

step "kubectl scale moe/tiny-cpu --replicas=2"
k scale -n "$app_ns" moe/tiny-cpu --replicas=2 >/dev/null
wait_for "$app_ns" moe/tiny-cpu '{.status.readyReplicas}' 2 600 || die "the second serving group did not become Ready"
groups=$(k get -n "$app_ns" statefulsets -l serving.moe-operator.io/deployment=tiny-cpu -o name | wc -l)
((groups == 2)) || die "expected 2 StatefulSets (one per group), found $groups"
for _ in $(seq 10); do
  got=$(k exec -n "$app_ns" client -- timeout 60 wget -q -O - --header 'Content-Type: application/json' \
    --post-data "$completion_request" http://tiny-cpu:8000/v1/completions | completion_text) || die "a request failed with 2 groups"
  [[ $got == "$expected" ]] || die "a group answered '$got' instead of '$expected'"
done
passed "2 groups Ready; 10 requests through the Service answered alike"

step "delete one rank's pod while a request streams from its group"
rank0=$(k get pods -n "$app_ns" -l serving.moe-operator.io/deployment=tiny-cpu -o name | grep -- '-g0-.*-0$' | head -1)
rank1=${rank0%-0}-1
rank0_ip=$(k get -n "$app_ns" "$rank0" -o jsonpath='{.status.podIP}')
long_request='{"model": "synthetic", "prompt": "Once upon a time", "max_tokens": 900, "temperature": 0, "stream": true}'
# Four long streams at once (this tiny model streams 900 tokens in about 3 s alone), all on rank 0 of
# group 0; its peer rank 1 is killed as soon as they have started.
k exec -n "$app_ns" client -- sh -c "rm -f /tmp/stream*; for i in 1 2 3 4; do (timeout 120 wget -q -O /tmp/stream\$i \
  --header 'Content-Type: application/json' --post-data '$long_request' http://$rank0_ip:8000/v1/completions; \
  echo \$? > /tmp/stream\$i.rc) & done; wait" >/dev/null 2>&1 &
streams_pid=$!
for _ in $(seq 50); do k exec -n "$app_ns" client -- sh -c 'test -s /tmp/stream1' 2>/dev/null && break; sleep 0.1; done
killed_at=$SECONDS
# Force: the rank dies at once, as in a crash (a graceful delete lets it drain its work first).
k delete -n "$app_ns" "$rank1" --grace-period=0 --force >/dev/null 2>&1
wait "$streams_pid" || true
ended_after=$((SECONDS - killed_at))
chunks=$(k exec -n "$app_ns" client -- sh -c 'for i in 1 2 3 4; do grep -c "^data: {" /tmp/stream$i; done' | tr '\n' ' ')
for n in $chunks; do
  ((n < 900)) || die "a request streamed all its tokens though a rank of its group was killed (chunks: $chunks)"
done
((ended_after <= 30)) || die "the requests ran on for $ended_after s after their group lost a rank"
passed "4 streaming requests ended ${ended_after} s after ${rank1#pod/} was killed (chunks streamed: $chunks)"
recover_start=$SECONDS
k wait -n "$app_ns" --for=condition=Ready moe/tiny-cpu --timeout=5m >/dev/null || die "tiny-cpu did not recover"
wait_for "$app_ns" moe/tiny-cpu '{.status.readyReplicas}' 2 300 || die "the group did not come back"
got=$(k exec -n "$app_ns" client -- timeout 60 wget -q -O - --header 'Content-Type: application/json' \
  --post-data "$completion_request" "http://$rank0_ip:8000/v1/completions" | completion_text) || die "the recovered group did not answer"
[[ $got == "$expected" ]] || die "the recovered group answered '$got'"
passed "the group recovered by itself in $((SECONDS - recover_start)) s and answers as before"

step "delete the operator's leader: the standby takes over and recreates nothing"
lease_holder() { k get lease -n "$operator_ns" moe-operator-leader -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
leader=$(lease_holder)
[[ -n $leader ]] || die "no operator holds the lease"
leader_pod=$(k get pods -n "$operator_ns" -o name | grep -- "${leader%-*}" | head -1)
[[ -n $leader_pod ]] || die "no pod of the lease holder $leader"
uids_before=$(k get statefulsets,services -n "$app_ns" -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' | sort)
killed_at=$SECONDS
k delete -n "$operator_ns" "$leader_pod" --wait=false >/dev/null
new_leader=""
for _ in $(seq 120); do
  new_leader=$(lease_holder)
  [[ -n $new_leader && $new_leader != "$leader" ]] && break
  sleep 0.5
done
[[ -n $new_leader && $new_leader != "$leader" ]] || die "no other operator took the lease within 60 s"
took=$((SECONDS - killed_at))
k scale -n "$app_ns" moe/tiny-cpu --replicas=1 >/dev/null
wait_for "$app_ns" moe/tiny-cpu '{.status.replicas}' 1 120 || die "the new leader did not act on a scale-down"
uids_after=$(k get statefulsets,services -n "$app_ns" -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' | sort)
[[ -z $(comm -13 <(echo "$uids_before") <(echo "$uids_after")) ]] || die "the new leader created objects anew: $(comm -13 <(echo "$uids_before") <(echo "$uids_after"))"
passed "lease taken over in ${took} s by ${new_leader}; it scaled tiny-cpu down; no StatefulSet or Service recreated"

step "uninstall: the operator, the deployment and the CRD leave nothing behind"
k delete namespace "$app_ns" --wait --timeout=3m >/dev/null || die "namespace $app_ns was not deleted"
uninstall_operator
k get crd moedeployments.serving.moe-operator.io >/dev/null 2>&1 && die "the CRD is still there"
left=$(k get clusterrole,clusterrolebinding -o name | grep -c moe-operator || true)
((left == 0)) || die "$left cluster roles or bindings of the operator are left"
passed "nothing of the operator left"

printf '\ne2e: all steps passed in %d s\n' "$((SECONDS - suite_start))" >&2
