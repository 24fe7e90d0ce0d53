#!/bin/bash
# sagemaker-cdk: stops this notebook instance after IDLE_MINUTES without kernel or terminal activity.
# Usage: notebook_autostop.sh IDLE_MINUTES  (runs until the instance stops; checks every 5 minutes)
# StopNotebookInstance goes to the regional SageMaker API endpoint, which the VPC's interface endpoint serves
# (private DNS); the execution role may stop this instance only.
set -uo pipefail

idle_minutes="${1:?usage: notebook_autostop.sh IDLE_MINUTES}"
metadata=/opt/ml/metadata/resource-metadata.json
state_file=/home/ec2-user/.sagemaker-cdk/idle-since

read_metadata() {
  python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print(m["ResourceName"], m["ResourceArn"].split(":")[3])' "$metadata"
}

# Prints "busy" or "idle"; a kernel that is busy, or active within the window, keeps the instance running.
activity() {
  python3 - "$idle_minutes" <<'PY'
import datetime, json, ssl, sys, urllib.request

window = datetime.timedelta(minutes=int(sys.argv[1]))
context = ssl._create_unverified_context()  # Jupyter's self-signed certificate on localhost only
now = datetime.datetime.now(datetime.timezone.utc)
busy = False
for path in ("/api/kernels", "/api/terminals"):
    try:
        with urllib.request.urlopen("https://localhost:8443" + path, context=context, timeout=10) as response:
            items = json.load(response)
    except Exception:  # Jupyter not up yet: count as busy, never stop a starting instance
        busy = True
        continue
    for item in items:
        last = datetime.datetime.fromisoformat(item.get("last_activity", now.isoformat()).replace("Z", "+00:00"))
        if item.get("execution_state") == "busy" or now - last < window:
            busy = True
print("busy" if busy else "idle")
PY
}

read -r name region < <(read_metadata)
while sleep 300; do
  if [ "$(activity)" = "busy" ]; then
    rm -f "$state_file"
    continue
  fi
  [ -f "$state_file" ] || date +%s > "$state_file"
  idle_for=$(( $(date +%s) - $(cat "$state_file") ))
  if [ "$idle_for" -ge $(( idle_minutes * 60 )) ]; then
    echo "$(date -u +%FT%TZ) idle for ${idle_for}s: stopping notebook instance ${name}"
    aws sagemaker stop-notebook-instance --notebook-instance-name "$name" --region "$region" && exit 0
  fi
done
