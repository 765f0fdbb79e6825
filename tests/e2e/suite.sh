#!/usr/bin/env bash
# The end-to-end checks, one body for every cluster: sourced by tests/e2e/local-cluster.sh and
# tests/e2e/kind.sh after they have a cluster and the images in it. They define:
#   k                   kubectl for the cluster (a function)
#   install_operator    installs the operator into $operator_ns and waits until it is available
#   uninstall_operator  removes it again
#   CLIENT_IMAGE        an image with busybox (sh, wget) to call Services from inside the cluster
# and may define install_prometheus (else deploy/monitoring/prometheus.yaml is applied as it is).
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
reference_completion() { # extra moe synth options (--seed N)
  local model
  model=$(mktemp --suffix .gguf)
  bin/moe synth --out "$model" --experts 8 --experts-used 2 --layers 2 --hidden 128 "$@" >/dev/null 2>&1
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
# Requests each group has answered: moe_request_success_total summed over its ranks' /q/metrics.
answered_by_group() { # group
  local pod ip total=0 n
  for pod in $(k get pods -n "$app_ns" -l "serving.moe-operator.io/deployment=tiny-cpu,serving.moe-operator.io/group=$1" -o name); do
    ip=$(k get -n "$app_ns" "$pod" -o jsonpath='{.status.podIP}')
    n=$(k exec -n "$app_ns" client -- wget -q -O - "http://$ip:8000/q/metrics" \
      | awk '/^moe_request_success_total/ {s += $NF} END {printf "%d", s}')
    total=$((total + n))
  done
  echo "$total"
}
before0=$(answered_by_group 0)
before1=$(answered_by_group 1)
for _ in $(seq 20); do
  got=$(k exec -n "$app_ns" client -- timeout 60 wget -q -O - --header 'Content-Type: application/json' \
    --post-data "$completion_request" http://tiny-cpu:8000/v1/completions | completion_text) || die "a request failed with 2 groups"
  [[ $got == "$expected" ]] || die "a group answered '$got' instead of '$expected'"
done
by0=$(($(answered_by_group 0) - before0))
by1=$(($(answered_by_group 1) - before1))
((by0 + by1 == 20)) || die "the groups' metrics count $by0 + $by1 answers for 20 requests"
# kube-proxy picks an endpoint at random: one group gets none of 20 with probability 2 in a million.
((by0 > 0 && by1 > 0)) || die "the Service sent all 20 requests to one group ($by0 and $by1)"
passed "2 groups Ready; 20 requests through the Service answered alike, $by0 by group 0 and $by1 by group 1"

step "change the model (a rollout): group by group, never two revisions in one group, requests keep being answered"
pods_selector=serving.moe-operator.io/deployment=tiny-cpu
revision_label='{range .items[*]}{.metadata.labels.serving\.moe-operator\.io/revision}{"\n"}{end}'
old_revision=$(k get pods -n "$app_ns" -l "$pods_selector" -o jsonpath="$revision_label" | sort -u)
(($(wc -l <<<"$old_revision") == 1)) || die "the pods are not on one revision before the rollout: $old_revision"
new_expected=$(reference_completion --seed 7)
[[ -n $new_expected && $new_expected != "$expected" ]] || die "the new model's reference text is empty or the old one's"
watch_events=$(mktemp)
k get pods -n "$app_ns" -l "$pods_selector" -w --output-watch-events -o json >"$watch_events" 2>/dev/null &
watch_pid=$!
# A request every fifth of a second through the Service while the groups roll, each answer kept.
k exec -n "$app_ns" client -- sh -c "rm -f /tmp/roll*; while [ ! -e /tmp/roll.stop ]; do \
  if timeout 60 wget -q -O /tmp/roll.out --header 'Content-Type: application/json' --post-data '$completion_request' \
  http://tiny-cpu:8000/v1/completions; then cat /tmp/roll.out >> /tmp/roll.ok; echo >> /tmp/roll.ok; \
  else echo failed >> /tmp/roll.failed; fi; sleep 0.2; done" >/dev/null 2>&1 &
requests_pid=$!
rollout_start=$SECONDS
k patch -n "$app_ns" moe/tiny-cpu --type merge \
  -p '{"spec": {"model": {"uri": "synthetic://?experts=8&experts-used=2&layers=2&hidden=128&seed=7"}}}' >/dev/null
rolled=""
deadline=$((SECONDS + 900))
while ((SECONDS < deadline)); do
  revisions=$(k get pods -n "$app_ns" -l "$pods_selector" -o jsonpath="$revision_label" | sort -u)
  ready=$(k get pods -n "$app_ns" -l "$pods_selector" -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True || true)
  sets=$(k get statefulsets -n "$app_ns" -l "$pods_selector" -o name | wc -l)
  if [[ $revisions != "$old_revision" && $(wc -l <<<"$revisions") == 1 && $ready == 4 && $sets == 2 ]]; then
    rolled=yes
    break
  fi
  sleep 1
done
rollout_took=$((SECONDS - rollout_start))
sleep 3 # requests after the last switch, on the new revision only
k exec -n "$app_ns" client -- sh -c ": > /tmp/roll.stop"
wait "$requests_pid" || true
kill "$watch_pid" 2>/dev/null || true
wait "$watch_pid" 2>/dev/null || true
[[ -n $rolled ]] || die "the rollout did not finish within 15 min (revisions: $revisions, ready pods: $ready, StatefulSets: $sets)"
watched=$(python3 tests/e2e/rollout-watch.py "$watch_events" 2 4) || die "the pod watch ($watch_events) shows a broken rollout: $watched"
min_serving=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["min_serving_groups"])' "$watched")
between=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["max_groups_between_revisions"])' "$watched")
((between <= 1)) || die "$between groups were between revisions at once (one at a time was expected; $watch_events): $watched"
# Surge (the default): a group's new revision starts beside its old one, so both groups serve throughout.
((min_serving >= 2)) || die "only $min_serving group(s) served at some moment of a Surge rollout ($watch_events): $watched"
rm -f "$watch_events" # kept for a look when a check fails
answers=$(k exec -n "$app_ns" client -- sh -c 'cat /tmp/roll.ok 2>/dev/null' | python3 -c '
import json, sys
old, new = sys.argv[1], sys.argv[2]
texts = [json.loads(line)["choices"][0]["text"] for line in sys.stdin if line.strip()]
other = [t for t in texts if t not in (old, new)]
print(len(texts), sum(t == old for t in texts), sum(t == new for t in texts), len(other))' "$expected" "$new_expected")
read -r answered old_answers new_answers other_answers <<<"$answers"
failed=$(k exec -n "$app_ns" client -- sh -c 'cat /tmp/roll.failed 2>/dev/null | wc -l')
((other_answers == 0)) || die "$other_answers answers during the rollout were neither the old model's nor the new one's"
((new_answers > 0)) || die "no answer from the new model during the rollout's last seconds"
# The bound: a request may fail only where an old group's endpoints are being removed (kube-proxy's
# rules lag the pod's deletion by up to a second); at most one request in 20.
((failed * 20 <= answered + failed)) || die "$failed of $((answered + failed)) requests failed during the rollout"
expected=$new_expected
passed "rolled in ${rollout_took} s: $watched; requests answered $answered ($old_answers old, $new_answers new model), failed $failed"

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

step "autoscaling: deploy/examples/tiny-cpu-autoscaling.yaml on a Prometheus in the cluster"
k delete -n "$app_ns" moe/tiny-cpu --wait --timeout=3m >/dev/null || die "tiny-cpu was not deleted"
# The example's Prometheus: deploy/monitoring/prometheus.yaml, or the cluster's own install_prometheus.
if declare -F install_prometheus >/dev/null; then
  install_prometheus
else
  k apply -f deploy/monitoring/prometheus.yaml >/dev/null
fi
k -n monitoring wait --for=condition=Available deployment/prometheus --timeout=3m >/dev/null || die "Prometheus did not start"
# As in the example, but each rank asks RANK_CPU (three groups fit the node) and lower demand is
# waited out 15 s instead of 5 min, so that the scale-down is seen too.
sed -e "s/cpu: \"1\"/cpu: ${RANK_CPU:-500m}/" -e 's/scaleDownStabilizationSeconds: 300/scaleDownStabilizationSeconds: 15/' \
  deploy/examples/tiny-cpu-autoscaling.yaml | k apply -n "$app_ns" -f - >/dev/null
k wait -n "$app_ns" --for=condition=Ready moe/tiny-cpu-autoscaling --timeout=10m >/dev/null || die "tiny-cpu-autoscaling did not become Ready"
prometheus_query() { # PromQL -> the first value, or nothing
  k exec -n "$app_ns" client -- wget -q -O - "http://prometheus.monitoring:9090/api/v1/query?query=$1" 2>/dev/null \
    | python3 -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
scraped=""
for _ in $(seq 60); do
  # count(moe_requests_waiting{moe_deployment="tiny-cpu-autoscaling"}): a series per rank, the metric the autoscaler reads
  scraped=$(prometheus_query 'count(moe_requests_waiting%7Bmoe_deployment%3D%22tiny-cpu-autoscaling%22%7D)' || true)
  [[ $scraped == 2 ]] && break
  sleep 2
done
[[ $scraped == 2 ]] || die "Prometheus does not scrape both ranks through their annotations (series: '$scraped')"
passed "Prometheus in the cluster scrapes both ranks through their pod annotations"
step "autoscaling: 20 clients keep requests queued; the groups follow"
load_request='{"model": "synthetic", "prompt": "Once upon a time", "max_tokens": 200, "temperature": 0}'
k exec -n "$app_ns" client -- sh -c "rm -f /tmp/load*; for i in \$(seq 20); do (while [ ! -e /tmp/load.stop ]; do \
  timeout 120 wget -q -O /dev/null --header 'Content-Type: application/json' --post-data '$load_request' \
  http://tiny-cpu-autoscaling:8000/v1/completions || echo failed >> /tmp/load.failed; done) & done; wait" >/dev/null 2>&1 &
load_pid=$!
load_start=$SECONDS
wait_at_least() { # resource jsonpath minimum seconds
  local deadline=$((SECONDS + $4)) v
  while ((SECONDS < deadline)); do
    v=$(k get -n "$app_ns" "$1" -o jsonpath="$2" 2>/dev/null)
    [[ -n $v ]] && ((v >= $3)) && return 0
    sleep 1
  done
  return 1
}
wait_at_least moe/tiny-cpu-autoscaling '{.spec.replicas}' 2 180 || die "no scale-up within 3 min of load (replicas $(k get -n "$app_ns" moe/tiny-cpu-autoscaling -o jsonpath='{.spec.replicas}'))"
scale_up=$((SECONDS - load_start))
scaled_to=$(k get -n "$app_ns" moe/tiny-cpu-autoscaling -o jsonpath='{.spec.replicas}')
wait_at_least moe/tiny-cpu-autoscaling '{.status.readyReplicas}' 2 600 || die "the added groups did not become Ready"
serving=$((SECONDS - load_start))
k exec -n "$app_ns" client -- sh -c ": > /tmp/load.stop"
wait "$load_pid" || true
load_end=$SECONDS
wait_for "$app_ns" moe/tiny-cpu-autoscaling '{.spec.replicas}' 1 300 || die "no scale-down within 5 min of the load's end"
scale_down=$((SECONDS - load_end))
load_failed=$(k exec -n "$app_ns" client -- sh -c 'cat /tmp/load.failed 2>/dev/null | wc -l')
((load_failed == 0)) || die "$load_failed requests of the load failed"
passed "1 -> $scaled_to groups ${scale_up} s after the load began (2 serving after ${serving} s); back to 1 group ${scale_down} s after it ended (15 s window); no request failed"

step "uninstall: the operator, the deployment and the CRD leave nothing behind"
k delete namespace "$app_ns" --wait --timeout=3m >/dev/null || die "namespace $app_ns was not deleted"
k delete -f deploy/monitoring/prometheus.yaml --wait --timeout=3m >/dev/null || die "the example's Prometheus was not deleted"
uninstall_operator
k get crd moedeployments.serving.moe-operator.io >/dev/null 2>&1 && die "the CRD is still there"
left=$(k get clusterrole,clusterrolebinding -o name | grep -c moe-operator || true)
((left == 0)) || die "$left cluster roles or bindings of the operator are left"
passed "nothing of the operator left"

printf '\ne2e: all steps passed in %d s\n' "$((SECONDS - suite_start))" >&2
