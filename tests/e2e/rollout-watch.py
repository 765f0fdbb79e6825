#!/usr/bin/env python3
"""Reads the pod watch events of a rollout (kubectl get pods -w --output-watch-events -o json) and
checks what a rollout must keep: every StatefulSet's pods share one revision (the ranks that exchange
tokens never mix two revisions), and it reports how many groups served (all their ranks Ready on one
revision) at the least, and how many groups were between revisions at once (a new revision starting
beside an old one).
Usage: rollout-watch.py EVENTS_FILE RANKS PODS_AT_START (the watch lists those first, one event each)"""
import json
import sys


def events(text):
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        event, pos = decoder.raw_decode(text, pos)
        yield event


def main():
    path, ranks, at_start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    listed = False  # whether the pods at the start have all been listed
    label = "serving.moe-operator.io/"
    pods = {}  # name -> (statefulset, group, revision, ready)
    revision_of_set = {}
    min_serving, max_transitions, count = None, 0, 0
    for event in events(open(path).read()):
        pod = event.get("object", event)
        meta = pod["metadata"]
        name = meta["name"]
        owners = [o["name"] for o in meta.get("ownerReferences", []) if o.get("kind") == "StatefulSet"]
        group, revision = meta["labels"].get(label + "group"), meta["labels"].get(label + "revision")
        if not owners or group is None or revision is None:
            sys.exit(f"pod {name} has no StatefulSet owner or no group/revision label")
        sset = owners[0]
        if revision_of_set.setdefault(sset, revision) != revision:
            sys.exit(f"StatefulSet {sset} has pods of revisions {revision_of_set[sset]} and {revision} ({name})")
        if event.get("type") == "DELETED":
            pods.pop(name, None)
        else:
            ready = any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))
            deleting = bool(meta.get("deletionTimestamp"))
            pods[name] = (sset, group, revision, ready and not deleting, deleting)
        count += 1
        ready_per_set = {}
        for sset_, group_, _, ready, _ in pods.values():
            ready_per_set[sset_] = ready_per_set.get(sset_, 0) + (1 if ready else 0)
        serving_groups = {pods_group for s, pods_group, _, _, _ in pods.values() if ready_per_set[s] == ranks}
        # A group is between revisions while pods of two revisions stand and one of them is not yet
        # serving (all its ranks Ready): the new one starting. Once it serves, the group has switched;
        # the old revision's pods are deleted after it (they drain meanwhile).
        starting = {}  # group -> revision -> whether one of its standing pods is not Ready yet
        for _, group_, revision_, ready, deleting in pods.values():
            if not deleting:
                revisions = starting.setdefault(group_, {})
                revisions[revision_] = revisions.get(revision_, False) or not ready
        transitions = sum(1 for revisions in starting.values() if len(revisions) > 1 and any(revisions.values()))
        listed = listed or len(pods) >= at_start
        if not listed:
            continue
        min_serving = len(serving_groups) if min_serving is None else min(min_serving, len(serving_groups))
        max_transitions = max(max_transitions, transitions)
    print(json.dumps({"events": count, "statefulsets": len(revision_of_set), "min_serving_groups": min_serving,
                      "max_groups_between_revisions": max_transitions}))


main()
