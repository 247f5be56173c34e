#!/usr/bin/python3
"""Conformance peer: drives proxmox-mock with the Debian python3-proxmoxer client, unchanged.

usage: proxmoxer_flow.py HOST PORT password|token
Exits non-zero (with the reason on stderr) when any step disagrees with the real API contract.
"""
import sys
import time

import proxmoxer
import urllib3
from proxmoxer import ProxmoxAPI
from proxmoxer.backends.https import AuthenticationError
from proxmoxer.core import ResourceException

urllib3.disable_warnings()

TOKEN_SECRET = "00000000-0000-0000-0000-000000000000"


def connect(host, port, mode):
    if mode == "token":
        return ProxmoxAPI(host, port=port, user="root@pam", token_name="proxbox",
                          token_value=TOKEN_SECRET, verify_ssl=False)
    return ProxmoxAPI(host, port=port, user="root@pam", password="proxmox", verify_ssl=False)


def wait(px, node, upid, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = px.nodes(node).tasks(upid).status.get()
        if status["status"] == "stopped":
            return status
        time.sleep(0.05)
    raise AssertionError("task %s did not finish" % upid)


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def main():
    host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    # Debian's proxmoxer or the newest from PyPI (scripts/client-venv): say which one ran.
    print("proxmoxer %s on Python %s (%s)" % (proxmoxer.__version__, sys.version.split()[0],
                                              sys.executable), flush=True)
    px = connect(host, port, mode)

    nodes = px.nodes.get()
    check(len(nodes) >= 1 and nodes[0]["node"], "nodes listed: %r" % nodes)
    node = nodes[0]["node"]

    vmid = int(px.cluster.nextid.get())
    upid = px.nodes(node).qemu.post(vmid=vmid, name="proxmoxer-%s" % mode, memory=1024, cores=2,
                                    net0="virtio,bridge=vmbr0")
    check(upid.startswith("UPID:%s:" % node), "create returns a UPID: %r" % upid)
    check(wait(px, node, upid)["exitstatus"] == "OK", "create task OK")

    config = px.nodes(node).qemu(vmid).config.get()
    check(config["name"] == "proxmoxer-%s" % mode, "config name: %r" % config)
    check(int(config["cores"]) == 2, "config cores: %r" % config)
    check(config["net0"].startswith("virtio="), "config net0: %r" % config)

    status = wait(px, node, px.nodes(node).qemu(vmid).status.start.post())
    check(status["exitstatus"] == "OK", "start task: %r" % status)
    current = px.nodes(node).qemu(vmid).status.current.get()
    check(current["status"] == "running", "status/current after start: %r" % current)
    resources = px.cluster.resources.get(type="vm")
    check(any(r.get("vmid") == vmid and r["status"] == "running" for r in resources),
          "VM in /cluster/resources")

    wait(px, node, px.nodes(node).qemu(vmid).status.stop.post())
    wait(px, node, px.nodes(node).qemu(vmid).delete())
    check(not any(r.get("vmid") == vmid for r in px.cluster.resources.get(type="vm")),
          "VM gone from /cluster/resources")
    try:
        px.nodes(node).qemu(vmid).config.get()
        raise AssertionError("config of a deleted VM still answers")
    except ResourceException as error:
        check(error.status_code == 500, "deleted VM config status %s" % error.status_code)

    # Validation errors come back in Proxmox's shape.
    try:
        px.nodes(node).qemu.post(vmid="not-a-number")
        raise AssertionError("invalid vmid accepted")
    except ResourceException as error:
        check(error.status_code == 400, "invalid vmid status %s" % error.status_code)
        # proxmoxer shows the reason phrase, where pveproxy puts its message.
        check(error.content == "Parameter verification failed.", "reason %r" % error.content)

    # IP set entries: proxmoxer splits "10.0.0.0/24" into two path segments; pveproxy (and the
    # mock) take the rest of the path as the cidr.
    ipset = "proxmoxer-%s" % mode
    px.cluster.firewall.ipset.post(name=ipset)
    px.cluster.firewall.ipset(ipset).post(cidr="10.0.0.0/24")
    px.cluster.firewall.ipset(ipset).get()
    check(isinstance(px.cluster.firewall.ipset(ipset)("10.0.0.0/24").get(), dict), "ipset entry")
    px.cluster.firewall.ipset(ipset)("10.0.0.0/24").delete()
    try:
        px.cluster.firewall.ipset(ipset)("10.0.0.0/99").get()
        raise AssertionError("invalid cidr accepted")
    except ResourceException as error:
        check(error.status_code == 400, "invalid cidr status %s" % error.status_code)

    # Wrong credentials are refused.
    try:
        ProxmoxAPI(host, port=port, user="root@pam", password="wrong", verify_ssl=False)
        raise AssertionError("wrong password accepted")
    except AuthenticationError:
        pass
    bad = ProxmoxAPI(host, port=port, user="root@pam", token_name="proxbox",
                     token_value="ffffffff-0000-0000-0000-000000000000", verify_ssl=False)
    try:
        bad.nodes.get()
        raise AssertionError("wrong token accepted")
    except ResourceException as error:
        check(error.status_code == 401, "wrong token status %s" % error.status_code)

    print("proxmoxer %s flow OK (vmid %d)" % (mode, vmid))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # report any failure as a non-zero exit for CTest
        print("FAILED: %s: %s" % (type(error).__name__, error), file=sys.stderr)
        sys.exit(1)
