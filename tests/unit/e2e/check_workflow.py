"""Checks .github/workflows/e2e.yml against `proxbox-e2e matrix`.

Usage: /usr/bin/python3 check_workflow.py WORKFLOW PROXBOX_E2E
Exit 0 when the workflow mirrors the reference (setup job emitting the matrix with
`proxbox-e2e matrix`, one job per cell, fail-fast off) and uses exactly the matrix's keys.
"""
import json
import re
import subprocess
import sys

import yaml


def fail(message):
    print(f"workflow check failed: {message}")
    sys.exit(1)


def main():
    workflow_path, generator = sys.argv[1], sys.argv[2]
    with open(workflow_path, encoding="utf-8") as handle:
        workflow = yaml.safe_load(handle)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    for event in ("push", "pull_request", "release"):
        if event not in (triggers or {}):
            fail(f"not triggered on {event}")

    jobs = workflow["jobs"]
    setup = jobs.get("setup") or fail("no setup job")
    generating = [s for s in setup["steps"] if re.search(r"proxbox-e2e matrix\b", s.get("run", ""))]
    if len(generating) != 1:
        fail("the setup job must run `proxbox-e2e matrix` exactly once")
    step = generating[0]
    if "--event" not in step["run"] or "github.event_name" not in step["run"]:
        fail("the matrix must be generated for the triggering event")
    if "GITHUB_OUTPUT" not in step["run"]:
        fail("the matrix step must write a step output")
    expected_output = "${{ steps.%s.outputs.matrix }}" % step.get("id")
    if setup.get("outputs", {}).get("matrix") != expected_output:
        fail(f"setup.outputs.matrix should be {expected_output}")

    cells = [job for job in jobs.values() if "strategy" in job]
    if len(cells) != 1:
        fail("expected exactly one matrix job")
    cell = cells[0]
    needs = cell.get("needs")
    if needs != "setup" and "setup" not in (needs or []):
        fail("the cell job must need setup")
    strategy = cell["strategy"]
    if strategy.get("fail-fast") is not False:
        fail("fail-fast must be false")
    if str(strategy.get("matrix")).replace(" ", "") != "${{fromJson(needs.setup.outputs.matrix)}}":
        fail("the cell matrix must come from the setup job's output")

    referenced = set(re.findall(r"matrix\.(\w+)", json.dumps(cell)))
    for event, count in (("push", 84), ("pull_request", 84), ("release", 168)):
        output = subprocess.run([generator, "matrix", "--event", event], check=True,
                                capture_output=True, text=True).stdout
        include = json.loads(output)["include"]
        if len(include) != count:
            fail(f"{event}: proxbox-e2e matrix gave {len(include)} cells, expected {count}")
        keys = set().union(*(entry.keys() for entry in include))
        if referenced != keys:
            fail(f"{event}: the cell job uses matrix keys {sorted(referenced)}, "
                 f"the generator emits {sorted(keys)}")

    runs = [s["run"] for s in cell["steps"] if re.search(r"proxbox-e2e cell\b", s.get("run", ""))]
    if len(runs) != 1:
        fail("the cell job must run `proxbox-e2e cell` once")
    for flag, key in (("--service", "proxmox_service"), ("--transport", "transport"),
                      ("--netbox", "netbox_version"), ("--mode", "mode")):
        if f"{flag} ${{{{ matrix.{key} }}}}" not in runs[0]:
            fail(f"`proxbox-e2e cell` must get {flag} from matrix.{key}")
    if cell.get("env", {}).get("PROXMOX_SERVICE") != "${{ matrix.proxmox_service }}":
        fail("PROXMOX_SERVICE must be rendered from the matrix")
    print("workflow ok")


if __name__ == "__main__":
    main()
