"""Writes the cluster DNS hosts file (see dns-feeder.sh) from `kubectl get services,endpoints -A -o json` on stdin."""
import json, os, sys
items = json.load(sys.stdin)["items"]
services = {(i["metadata"]["namespace"], i["metadata"]["name"]): i for i in items if i["kind"] == "Service"}
lines = []
for i in items:
    ns, name = i["metadata"]["namespace"], i["metadata"]["name"]
    fqdn = f"{name}.{ns}.svc.cluster.local"
    if i["kind"] == "Service":
        ip = i["spec"].get("clusterIP")
        if ip and ip != "None":
            lines.append(f"{ip} {fqdn}")
        continue
    svc = services.get((ns, name))
    if not svc or svc["spec"].get("clusterIP") != "None":
        continue
    publish = svc["spec"].get("publishNotReadyAddresses", False)
    for subset in i.get("subsets") or []:
        addresses = list(subset.get("addresses") or [])
        if publish:
            addresses += subset.get("notReadyAddresses") or []
        for a in addresses:
            lines.append(f"{a['ip']} {fqdn}")
            if a.get("hostname"):
                lines.append(f"{a['ip']} {a['hostname']}.{fqdn}")
out = sys.argv[1]
text = "\n".join(sorted(set(lines))) + "\n"
path = os.path.join(out, "cluster.hosts")
try:
    old = open(path).read()
except OSError:
    old = None
if text != old:
    tmp = os.path.join(out, ".cluster.hosts.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
