#!/usr/bin/python3
"""Conformance peer: drives proxmox-mock with the Debian python3-proxmoxer client, unchanged.

usage: proxmoxer_flow.py HOST PORT password|token
Exits non-zero (with the reason on stderr) when any step disagrees with the real API contract.
"""
import os
import re
import sys
import tempfile
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


def twice(flow, what):
    """An idempotent client's run: the first changes the state, a second finds nothing to do."""
    check(flow() is True, "%s: first run changes something" % what)
    check(flow() is False, "%s: second run reports nothing changed" % what)


def config_key_ensurer(guest, key, value):
    """An idempotent client's step: sets `key` of the guest's config unless it is already there."""
    def ensure():
        if key in guest.config.get():
            return False
        guest.config.put(**{key: value})
        return True
    return ensure

def storage_used(px, node, storage):
    return int(px.nodes(node).storage(storage).status.get()["used"])


def volids(px, node, storage, **filters):
    return {v["volid"]: v for v in px.nodes(node).storage(storage).content.get(**filters)}


def clone_flows(px, node, mode):
    """Clone VM 100 (the default scenario's) to a new VM: a real task, then listed everywhere."""
    newid = 9100 if mode == "password" else 9200
    name = "clone-%s" % mode

    def ensure_clone():
        if any(r.get("vmid") == newid for r in px.cluster.resources.get(type="vm")):
            return False
        upid = px.nodes(node).qemu(100).clone.post(newid=newid, name=name, full=1,
                                                   storage="local-lvm")
        check(":qmclone:100:" in upid, "clone UPID: %r" % upid)
        status = wait(px, node, upid)
        check(status["exitstatus"] == "OK", "clone task: %r" % status)
        return True

    twice(ensure_clone, "clone")
    check(any(r.get("vmid") == newid and r.get("name") == name
              for r in px.cluster.resources.get(type="vm")), "clone in /cluster/resources")
    check(any(int(g["vmid"]) == newid for g in px.nodes(node).qemu.get()), "clone in node list")
    config = px.nodes(node).qemu(newid).config.get()
    check(config["name"] == name, "clone config: %r" % config)
    check(config["scsi0"].startswith("local-lvm:vm-%d-disk-0," % newid), "clone disk: %r" % config)
    check("local-lvm:vm-%d-disk-0" % newid in volids(px, node, "local-lvm", vmid=newid),
          "clone volume in storage content")
    return newid


def disk_flows(px, node, vmid):
    """Disk add, resize, detach and remove, each as an idempotent client does them."""
    qemu = px.nodes(node).qemu(vmid)
    before = storage_used(px, node, "local-lvm")

    twice(config_key_ensurer(qemu, "scsi1", "local-lvm:2,backup=1"), "disk add")
    scsi1 = qemu.config.get()["scsi1"]
    match = re.fullmatch(r"(local-lvm:vm-%d-disk-\d+),backup=1,size=2G" % vmid, scsi1)
    check(match is not None, "allocated disk: %r" % scsi1)
    volid = match.group(1)
    check(volids(px, node, "local-lvm", vmid=vmid)[volid]["size"] == 2 << 30, "disk in content")
    check(storage_used(px, node, "local-lvm") > before, "usage grew with the disk")

    def ensure_size():
        if qemu.config.get()["scsi1"].endswith("size=4G"):
            return False
        status = wait(px, node, qemu.resize.put(disk="scsi1", size="4G"))
        check(status["exitstatus"] == "OK", "resize task: %r" % status)
        return True

    twice(ensure_size, "disk resize")
    check(volids(px, node, "local-lvm", vmid=vmid)[volid]["size"] == 4 << 30, "resized content")

    def ensure_detached():
        if "scsi1" not in qemu.config.get():
            return False
        qemu.unlink.put(idlist="scsi1")
        return True

    twice(ensure_detached, "disk detach")
    config = qemu.config.get()
    check(config.get("unused0") == volid, "detached to unused0: %r" % config)
    check(volid in volids(px, node, "local-lvm", vmid=vmid), "detached volume kept")

    def ensure_removed():
        unused = [key for key in qemu.config.get() if key.startswith("unused")]
        if not unused:
            return False
        qemu.config.put(delete=",".join(unused))
        return True

    twice(ensure_removed, "disk remove")
    check(volid not in volids(px, node, "local-lvm", vmid=vmid), "removed volume freed")


def nic_flows(px, node, vmid):
    """A NIC with every option reads back exactly as written; a MAC is generated only when none
    is given."""
    qemu = px.nodes(node).qemu(vmid)
    wanted = ("e1000=BC:24:11:AA:BB:CC,bridge=vmbr0,firewall=1,link_down=1,mtu=1400,queues=2,"
              "rate=12.5,tag=42")

    def ensure_nic():
        if qemu.config.get().get("net1") == wanted:
            return False
        qemu.config.put(net1="e1000,bridge=vmbr0,firewall=1,tag=42,mtu=1400,rate=12.5,queues=2,"
                             "link_down=1,macaddr=BC:24:11:AA:BB:CC")
        return True

    twice(ensure_nic, "NIC with every option")
    check(qemu.config.get()["net1"] == wanted, "net1 read back: %r" % qemu.config.get()["net1"])

    twice(config_key_ensurer(qemu, "net2", "virtio,bridge=vmbr0"), "NIC without a MAC")
    net2 = qemu.config.get()["net2"]
    check(re.fullmatch(r"virtio=([0-9A-F]{2}:){5}[0-9A-F]{2},bridge=vmbr0", net2) is not None,
          "generated MAC: %r" % net2)
    check(net2.split(",")[0].split("=")[1] != "BC:24:11:AA:BB:CC", "a MAC of its own")


def iso_flows(px, node, mode):
    """ISO upload (multipart, as proxmoxer sends a file) and delete on the 'local' storage."""
    storage = px.nodes(node).storage("local")
    filename = "proxmoxer-%s.iso" % mode
    volid = "local:iso/" + filename
    data = b"CD001" + bytes(4091)
    before = storage_used(px, node, "local")

    def ensure_uploaded():
        if volid in volids(px, node, "local", content="iso"):
            return False
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, filename)
            with open(path, "wb") as out:
                out.write(data)
            with open(path, "rb") as upload:
                upid = storage.upload.post(content="iso", filename=upload)
        status = wait(px, node, upid)
        check(status["exitstatus"] == "OK", "upload task: %r" % status)
        return True

    twice(ensure_uploaded, "ISO upload")
    check(volids(px, node, "local", content="iso")[volid]["size"] == len(data), "ISO size")
    check(storage_used(px, node, "local") == before + len(data), "usage grew with the ISO")

    def ensure_deleted():
        if volid not in volids(px, node, "local", content="iso"):
            return False
        status = wait(px, node, storage.content(volid).delete())
        check(status["exitstatus"] == "OK", "delete task: %r" % status)
        return True

    twice(ensure_deleted, "ISO delete")
    check(storage_used(px, node, "local") == before, "usage back after the delete")


def access_flows(px, host, port, mode):
    """Groups, a user in them, an LDAP realm, an ACL and an API token, each as an idempotent
    client manages them; then what they change is what logging in sees."""
    group, userid, realm = "flow-%s" % mode, "flow-%s@pve" % mode, "ldap-%s" % mode
    password, secret = "flow-pass-%s" % mode, {}

    def ensure_group():
        if any(g["groupid"] == group for g in px.access.groups.get()):
            return False
        px.access.groups.post(groupid=group, comment="conformance")
        return True

    def ensure_user():
        if any(u["userid"] == userid for u in px.access.users.get()):
            return False
        px.access.users.post(userid=userid, password=password, groups=group,
                             email="flow@example.com")
        return True

    def ensure_realm():
        if any(d["realm"] == realm for d in px.access.domains.get()):
            return False
        px.access.domains.post(realm=realm, type="ldap", server1="ldap.example",
                               base_dn="dc=example,dc=com", user_attr="uid", comment="LDAP")
        return True

    def ensure_acl():
        wanted = {"path": "/vms", "type": "group", "ugid": group, "roleid": "PVEVMUser"}
        if any(all(a.get(k) == v for k, v in wanted.items()) for a in px.access.acl.get()):
            return False
        px.access.acl.put(path="/vms", roles="PVEVMUser", groups=group)
        return True

    def ensure_token():
        if any(t["tokenid"] == "ci" for t in px.access.users(userid).token.get()):
            return False
        made = px.access.users(userid).token("ci").post(comment="flow", privsep=0)
        check(made["full-tokenid"] == userid + "!ci", "token id: %r" % made)
        secret["value"] = made["value"]
        return True

    for flow, what in ((ensure_group, "group"), (ensure_user, "user"), (ensure_realm, "realm"),
                       (ensure_acl, "ACL"), (ensure_token, "token")):
        twice(flow, what)

    listed = {u["userid"]: u for u in px.access.users.get(full=1)}
    check(listed[userid]["groups"] == group and listed[userid]["realm-type"] == "pve",
          "user listed with its group: %r" % listed[userid])
    check(list(listed).count("root@pam") == 1, "root@pam once: %r" % list(listed))
    check(px.access.groups(group).get()["members"] == [userid], "group members")
    check(px.access.users(userid).get()["groups"] == [group], "user groups")
    check(px.access.domains("pam").get()["type"] == "pam", "pam realm readable")
    check(px.access.domains(realm).get()["server1"] == "ldap.example", "realm read back")
    realms = {d["realm"]: d["type"] for d in px.access.domains.get()}
    check(len(realms) == len(px.access.domains.get()), "realms listed once: %r" % realms)
    check(realms.get("pam") == "pam" and realms.get("pve") == "pve" and realms.get(realm) == "ldap",
          "realms by type: %r" % realms)
    try:
        px.access.users.post(userid=userid)
        raise AssertionError("duplicate user accepted")
    except ResourceException as error:
        check(error.status_code == 500, "duplicate user status %s" % error.status_code)
        check(error.content == "create user failed: user '%s' already exists" % userid,
              "duplicate user reason %r" % error.content)

    # The new account logs in, and so does its token; once deleted, neither works.
    ProxmoxAPI(host, port=port, user=userid, password=password, verify_ssl=False).version.get()
    as_token = ProxmoxAPI(host, port=port, user=userid, token_name="ci",
                          token_value=secret["value"], verify_ssl=False)
    check(as_token.version.get()["version"], "token made through the API authenticates")
    px.access.users(userid).delete()
    try:
        ProxmoxAPI(host, port=port, user=userid, password=password, verify_ssl=False)
        raise AssertionError("deleted user logged in")
    except AuthenticationError:
        pass
    try:
        as_token.version.get()
        raise AssertionError("token of a deleted user accepted")
    except ResourceException as error:
        check(error.status_code == 401, "deleted user's token status %s" % error.status_code)
    check(px.access.groups(group).get()["members"] == [], "deleted user left its group")
    check(any(a.get("ugid") == group for a in px.access.acl.get()), "the group's ACL stays")


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

    clone = clone_flows(px, node, mode)
    disk_flows(px, node, clone)
    nic_flows(px, node, clone)
    iso_flows(px, node, mode)

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

    access_flows(px, host, port, mode)

    print("proxmoxer %s flow OK (vmid %d)" % (mode, vmid))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # report any failure as a non-zero exit for CTest
        print("FAILED: %s: %s" % (type(error).__name__, error), file=sys.stderr)
        sys.exit(1)
