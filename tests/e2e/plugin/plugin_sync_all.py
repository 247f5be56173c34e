#!/usr/bin/env python3
"""The real netbox-proxbox plugin runs "Sync all" against our proxbox-api (issue #11 item 6).

  tests/e2e/plugin/plugin_sync_all.py --build-dir build/dev [--keep-dir]

Stands up, all on 127.0.0.1 port 0, each in its own process group and stopped at the end:
proxmox-mock (TLS, a generated estate: 2 nodes, 6 guests with NICs, addresses, disks, a
snapshot and a backup each, replication, SDN), proxbox-api (this build), and real NetBox 4.6
with the pinned plugin from PyPI and an RQ worker (scripts/netbox-real-plugin, TLS). Then, as a
user would: registers an API key with proxbox-api, creates the plugin's FastAPI, NetBox and
Proxmox endpoint objects through NetBox's REST API, approves the NetBox and Proxmox connection
targets (the plugin's connection-authority API), POSTs the plugin's "Full update" button
(sync/full-update, the view "Sync all" is) with a logged-in admin session, waits for the NetBox
job the worker runs, and checks the stages the job recorded in its data: each of the 13 stages
proxbox-api implements ran and reported ok, NetBox holds what they write, the job ended
"completed" (the plugin's local phases succeeded too), and the plugin's firewall and CPU-model
objects hold the scenario's.

Exit status: 0 pass, 1 fail (each failed check on stderr), 77 skip (the reason on stdout:
"SKIP: requires Python >= 3.12 for NetBox 4.6 ...", no PostgreSQL, Redis or PyPI).
"""

import argparse
import ctypes
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parents[3]
PLUGIN_SCRIPT = ROOT / "scripts" / "netbox-real-plugin"
SKIP = 77
# The stages of the plugin's "Sync all" (netbox_proxbox/sync_types.py _SYNC_STAGE_ORDER), every
# one of which proxbox-api implements (README, "The plugin contract").
STAGES = ["devices", "storage", "virtual-machines", "task-history", "vm-disks", "vm-backups",
          "vm-snapshots", "network-interfaces", "vm-interfaces", "ip-addresses", "sdn",
          "replications", "backup-routines"]
MOCK_TOKEN = ("root@pam", "proxbox", "00000000-0000-0000-0000-000000000000")
FIREWALL = {
    "zones": {"cluster": {
        "rules": [{"type": "in", "action": "web", "enable": 1, "comment": "web group"}],
        "options": {"enable": 1, "policy_in": "DROP"},
        "ipsets": {"office": {"comment": "hq", "entries": [{"cidr": "10.0.0.0/24"}]}},
        "aliases": {"gw": {"cidr": "10.0.0.1", "comment": "router"}}}},
    "groups": {"web": {"comment": "front", "rules": [
        {"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "443", "enable": 1}]}}}
CPU_MODELS = [{"name": "avx512-pool", "reported_model": "Skylake-Server", "flags": "+avx512f"}]


def say(message):
    print(f"plugin-sync-all: {message}", flush=True)


class Failed(Exception):
    pass


# ---------------------------------------------------------------- processes


def _die_with_parent():
    """The child gets SIGTERM when this driver dies (a CTest timeout kills only the driver)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Processes:
    def __init__(self, work):
        self.work = work
        self.children = []

    def start(self, name, argv, env=None, ready_file=None, timeout=60):
        log = open(self.work / f"{name}.log", "w")
        child = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=env, start_new_session=True,
                                 preexec_fn=_die_with_parent)
        self.children.append((name, child))
        if ready_file is None:
            return None
        deadline = time.monotonic() + timeout
        while not Path(ready_file).exists():
            if child.poll() is not None:
                raise Failed(f"{name} exited with {child.returncode} before it was ready:\n"
                             + self.tail(name))
            if time.monotonic() > deadline:
                raise Failed(f"{name} not ready within {timeout} s:\n" + self.tail(name))
            time.sleep(0.1)
        return json.loads(Path(ready_file).read_text())

    def tail(self, name, size=4000):
        path = self.work / f"{name}.log"
        return path.read_text(errors="replace")[-size:] if path.exists() else ""

    def stop_all(self):
        """SIGTERM to every group (newest first), SIGKILL to what is left after 30 s."""
        for name, child in reversed(self.children):
            if child.poll() is None:
                try:
                    os.killpg(child.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 30
        for name, child in reversed(self.children):
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{name} ignored SIGTERM; killing its process group")
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            if child.poll() is None:
                child.wait()


# ---------------------------------------------------------------- HTTP


UNVERIFIED = ssl._create_unverified_context()  # our own loopback servers, self-signed


def http(method, url, body=None, headers=None, timeout=60):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Accept": "application/json", **(headers or {})})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=UNVERIFIED) as answer:
            text = answer.read().decode()
            return answer.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as error:
        text = error.read().decode(errors="replace")
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, text


def expect(status_and_body, wanted, what):
    status, body = status_and_body
    if status not in wanted:
        raise Failed(f"{what}: HTTP {status} {json.dumps(body)[:1500] if not isinstance(body, str) else body[:1500]}")
    return body


# ---------------------------------------------------------------- the stack


def check_requirements():
    """None when NetBox 4.6 with the plugin can run here, else the reason to skip."""
    probe = subprocess.run([sys.executable, str(PLUGIN_SCRIPT), "4.6", "check"],
                           capture_output=True, text=True)
    if probe.returncode == 3:
        return probe.stderr.strip().removeprefix("netbox-real-plugin: ")
    if probe.returncode != 0:
        raise Failed(f"netbox-real-plugin check failed: {probe.stderr.strip()}")
    return None


def install_plugin_netbox():
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(PLUGIN_SCRIPT), "4.6", "install"],
                            capture_output=True, text=True, timeout=40 * 60)
    if result.returncode == 3:
        return result.stderr.strip().removeprefix("netbox-real-plugin: ")
    if result.returncode != 0:
        text = result.stderr
        # PyPI unreachable (a machine without network): a missing requirement, not a failure.
        if "Could not find a version" in text or "NewConnectionError" in text \
                or "Temporary failure in name resolution" in text:
            return "requires PyPI for the netbox-proxbox plugin (pip could not reach it)"
        raise Failed(f"netbox-real-plugin install failed:\n{text[-4000:]}")
    say(f"NetBox 4.6 with the plugin installed or found cached in "
        f"{time.monotonic() - started:.1f} s")
    return None


def write_certificate(work):
    cert, key = work / "netbox.crt", work / "netbox.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def start_stack(processes, work, build_dir):
    mock = build_dir / "apps" / "proxmox-mock" / "proxmox-mock"
    api = build_dir / "apps" / "proxbox-api" / "proxbox-api"
    for program in (mock, api):
        if not program.exists():
            raise Failed(f"{program} is not built (cmake --build {build_dir} --target "
                         f"{program.name})")
    scenario = work / "scenario.json"
    generated = json.loads(subprocess.run(
        [str(mock), "scenario", "generate", "--clusters", "1", "--nodes", "2", "--guests", "6",
         "--backups", "1", "--snapshots", "1", "--seed", "11"],
        capture_output=True, text=True, check=True).stdout)
    # What the plugin's local phases read (/proxmox/firewall/summary, /proxmox/datacenter/
    # cpu-models): a datacenter firewall and custom CPU models.
    generated["clusters"][0]["firewall"] = FIREWALL
    generated["clusters"][0]["cpu_models"] = CPU_MODELS
    scenario.write_text(json.dumps(generated))
    mock_ready = processes.start(
        "proxmox-mock", [str(mock), "--service", "pve", "--scenario", str(scenario), "--tls",
                         "--listen", "127.0.0.1:0", "--ready-file", str(work / "mock.ready"),
                         "--no-access-log"],
        ready_file=work / "mock.ready")
    api_env = dict(os.environ, PROXBOX_DATABASE_PATH=str(work / "proxbox.db"),
                   PROXBOX_ENCRYPTION_KEY=secrets.token_hex(32))
    api_ready = processes.start(
        "proxbox-api", [str(api), "serve", "--listen", "127.0.0.1:0",
                        "--ready-file", str(work / "api.ready")],
        env=api_env, ready_file=work / "api.ready")
    cert, key = write_certificate(work)
    netbox_ready = processes.start(
        "netbox", [sys.executable, str(PLUGIN_SCRIPT), "4.6", "serve", "--ready-file",
                   str(work / "netbox.ready"), "--listen", "127.0.0.1:0",
                   "--tls-cert", str(cert), "--tls-key", str(key)],
        ready_file=work / "netbox.ready", timeout=300)
    return mock_ready["endpoints"][0], api_ready["endpoints"][0], netbox_ready


# ---------------------------------------------------------------- configuring the plugin


class NetBox:
    def __init__(self, ready):
        endpoint = ready["endpoints"][0]
        self.url = endpoint["url"]
        self.port = endpoint["port"]
        self.headers = {"Authorization": f"Token {ready['token']}"}
        self.token_v2 = ready["token_v2"]

    def api(self, method, path, body=None, wanted=(200, 201), what=None):
        return expect(http(method, f"{self.url}{path}", body, self.headers), wanted,
                      what or f"{method} {path}")

    def create_endpoint(self, kind, body):
        created = self.api("POST", f"/api/plugins/proxbox/endpoints/{kind}/", body,
                           what=f"creating the plugin's {kind} endpoint")
        return created["id"]

    def approve(self, kind, endpoint_id):
        """What the endpoint page's "approve connection" does: review, then approve that exact
        target fingerprint."""
        path = f"/api/plugins/proxbox/endpoints/{kind}/{endpoint_id}/connection-authority/"
        review = self.api("GET", path, what=f"reviewing the {kind} endpoint's target")
        approved = self.api("PUT", path, {"target_fingerprint": review["target_fingerprint"]},
                            what=f"approving the {kind} endpoint's target")
        if not approved.get("approved"):
            raise Failed(f"the {kind} endpoint's target was not approved: {approved}")


def configure_plugin(netbox, api_endpoint, mock_endpoint, api_key):
    # proxbox-api: the first API key (what its setup page asks an operator to do).
    expect(http("POST", f"{api_endpoint['url']}/auth/register-key",
                {"api_key": api_key, "label": "netbox-proxbox-plugin"}), (200, 201),
           "registering the API key with proxbox-api")
    netbox.create_endpoint("fastapi", {
        "name": "proxbox-api", "domain": "localhost", "port": api_endpoint["port"],
        "use_https": False, "verify_ssl": False, "enabled": True, "token": api_key})
    key, _, secret = netbox.token_v2.removeprefix("nbt_").partition(".")
    netbox_id = netbox.create_endpoint("netbox", {
        "name": "this-netbox", "domain": "localhost", "port": netbox.port,
        "token_version": "v2", "token_key": key, "token_secret": secret,
        "verify_ssl": False, "enabled": True})
    netbox.approve("netbox", netbox_id)
    user, token_name, token_value = MOCK_TOKEN
    proxmox_id = netbox.create_endpoint("proxmox", {
        "name": "pve-mock", "domain": "localhost", "port": mock_endpoint["port"],
        "mode": "cluster", "username": user, "token_name": token_name,
        "token_value": token_value, "verify_ssl": False, "enabled": True,
        # The plugin's default leaves SDN out of "Sync all"; proxbox-api implements it.
        "sync_mode_sdn": "always"})
    netbox.approve("proxmox", proxmox_id)


def press_full_update(netbox, admin_password):
    """Logs in through NetBox's login form and POSTs the plugin's "Full update" button, as a
    browser does (session cookie, CSRF token, Referer); returns the job id the view reports."""
    import http.cookiejar
    import re
    import urllib.parse

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # the 302 itself is the answer (its headers name the job)

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                         urllib.request.HTTPSHandler(context=UNVERIFIED),
                                         NoRedirect())

    def csrf_cookie():
        return next((c.value for c in jar if c.name == "csrftoken"), "")

    def post(path, form):
        request = urllib.request.Request(
            f"{netbox.url}{path}", data=urllib.parse.urlencode(form).encode(), method="POST",
            headers={"Referer": f"{netbox.url}{path}", "X-CSRFToken": csrf_cookie()})
        try:
            answer = opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:  # a redirect (no handler follows it) or error
            answer = error
        return answer.status if hasattr(answer, "status") else answer.code, answer.headers, \
            answer.read().decode(errors="replace")

    page = opener.open(f"{netbox.url}/login/", timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    status, headers, body = post("/login/", {
        "csrfmiddlewaretoken": token.group(1) if token else csrf_cookie(),
        "username": "admin", "password": admin_password, "next": "/"})
    if status != 302:
        raise Failed(f"logging in to NetBox: HTTP {status} {body[-800:]}")
    status, headers, body = post("/plugins/proxbox/sync/full-update/",
                                 {"csrfmiddlewaretoken": csrf_cookie()})
    job_id = headers.get("X-Proxbox-Job-ID")
    if status != 302 or not job_id:
        raise Failed(f"pressing Full update: HTTP {status}, no X-Proxbox-Job-ID "
                     f"(redirect to {headers.get('Location')}): {body[-800:]}")
    return int(job_id)


def wait_for_job(netbox, job_id, timeout):
    deadline = time.monotonic() + timeout
    while True:
        job = netbox.api("GET", f"/api/core/jobs/{job_id}/")
        status = (job.get("status") or {}).get("value")
        if status in ("completed", "errored", "failed"):
            return job
        if time.monotonic() > deadline:
            raise Failed(f"job {job_id} still {status} after {timeout} s")
        time.sleep(2)


# ---------------------------------------------------------------- what the job recorded


def stage_results(job):
    stages = (((job.get("data") or {}).get("proxbox_sync") or {}).get("response") or {}) \
        .get("stages") or []
    return [stage for stage in stages if isinstance(stage, dict)]


def check_stages(job):
    """Each of the 13 stages ran and reported ok; returns the failures as text."""
    problems = []
    stages = stage_results(job)
    for stage in stages:
        if stage.get("sync_type") == "endpoint-scope":
            summary = stage.get("result_summary") or {}
            problems.append(f"the plugin stopped the run at stage {summary.get('stage')}: "
                            f"{summary.get('error')}")
    by_type = {}
    for stage in stages:
        by_type.setdefault(stage.get("sync_type"), []).append(stage)
    for name in STAGES:
        records = by_type.get(name)
        if not records:
            problems.append(f"stage {name}: not run")
            continue
        for record in records:
            summary = record.get("result_summary") or {}
            if summary.get("skipped"):
                problems.append(f"stage {name}: skipped ({summary.get('reason')})")
            elif summary.get("ok") is not True:
                problems.append(f"stage {name}: not ok: {json.dumps(summary)[:800]}")
            else:
                say(f"stage {name:<19} ok  {record.get('runtime_seconds')} s  "
                    f"{summary.get('path')}")
    return problems


def check_stream_errors(job):
    """A stage reports ok when NetBox refused some objects and wrote the others (README, "The
    plugin contract"); the refusals are `error` events, which the plugin logs one per line."""
    problems = []
    prefix = "[proxbox-stream] error: "
    seen = set()
    for entry in job.get("log_entries") or []:
        message = str(entry.get("message") or "")
        if not message.startswith(prefix) or message in seen:
            continue
        seen.add(message)
        try:
            event = json.loads(message[len(prefix):])
        except ValueError:
            event = {"error": message[len(prefix):]}
        problem = f"stage {event.get('step')}: error event: {event.get('error')}"[:1200]
        if problem not in problems:  # the plugin logs a stage's events again at its end
            problems.append(problem)
    return problems


def check_netbox_holds(netbox):
    """What the stages write is in NetBox (the counts of the generated estate)."""
    problems = []

    def count(path):
        return netbox.api("GET", f"{path}{'&' if '?' in path else '?'}limit=1")["count"]

    wanted = {"/api/dcim/devices/?tag=proxbox": 2, "/api/virtualization/virtual-machines/?tag=proxbox": 6}
    for path, number in wanted.items():
        if (found := count(path)) != number:
            problems.append(f"{path}: {found} objects, expected {number}")
    for path in ("/api/plugins/proxbox/storage/", "/api/plugins/proxbox/backups/",
                 "/api/plugins/proxbox/snapshots/", "/api/virtualization/virtual-disks/",
                 "/api/virtualization/interfaces/", "/api/ipam/ip-addresses/",
                 "/api/dcim/interfaces/"):
        if count(path) == 0:
            problems.append(f"{path}: empty after the sync")
    return problems


def print_local_phases(job):
    """The plugin's own phases beside the backend stages (firewall, datacenter CPU models, VM
    templates); the job's status says whether they succeeded."""
    response = ((job.get("data") or {}).get("proxbox_sync") or {}).get("response") or {}
    for phase in response.get("local_phases") or []:
        if isinstance(phase, dict):
            say(f"local phase {phase.get('label') or phase.get('kind')}: {phase.get('status')} "
                f"{str(phase.get('summary') or '')[:300]}")


def check_local_objects(netbox):
    """The firewall and CPU-model objects the plugin's local phases wrote from the scenario's
    FIREWALL and CPU_MODELS: each of its REST lists whose name says firewall or cpu (found in
    its API root, not assumed) holds some. The plugin files them under the ProxmoxCluster its
    cluster phase creates from /proxmox/cluster/status, matched by the entries' cluster_name."""
    root = netbox.api("GET", "/api/plugins/proxbox/")
    problems, checked = [], []

    def lists(node, prefix=""):
        for name, url in (node or {}).items():
            if isinstance(url, str) and ("firewall" in name or "cpu" in name):
                yield prefix + name, url
    for name, url in lists(root):
        path = "/api/" + url.split("/api/", 1)[1]
        found = netbox.api("GET", f"{path}?limit=1")
        count = found.get("count") if isinstance(found, dict) else None
        checked.append(f"{name}={count}")
        if not count:
            problems.append(f"{path}: empty after the sync (the scenario has {name})")
    say(f"plugin firewall/CPU objects: {', '.join(checked) or 'no such lists in the API root'}")
    if not checked:
        problems.append(f"the plugin's API root lists no firewall or cpu objects: {sorted(root)}")
    return problems


def print_job_log(job):
    for entry in job.get("log_entries") or []:
        say(f"  job log [{entry.get('level')}] {entry.get('message')}")


# ---------------------------------------------------------------- main


def admin_password():
    describe = json.loads(subprocess.run([sys.executable, str(PLUGIN_SCRIPT), "4.6", "check"],
                                         capture_output=True, text=True, check=True).stdout)
    return json.loads((Path(describe["cache"]) / "secrets.json").read_text())["admin_password"]


def run(args, work):
    reason = check_requirements() or install_plugin_netbox()
    if reason:
        print(f"SKIP: {reason}", flush=True)
        return SKIP
    processes = Processes(work)
    try:
        started = time.monotonic()
        mock_endpoint, api_endpoint, netbox_ready = start_stack(processes, work, args.build_dir)
        say(f"stack up in {time.monotonic() - started:.1f} s: proxmox-mock {mock_endpoint['url']}, "
            f"proxbox-api {api_endpoint['url']}, NetBox {netbox_ready['netbox_version']} "
            f"{netbox_ready['endpoints'][0]['url']} with the plugin and an RQ worker")
        netbox = NetBox(netbox_ready)
        configure_plugin(netbox, api_endpoint, mock_endpoint, secrets.token_hex(32))
        job_id = press_full_update(netbox, admin_password())
        say(f"Full update pressed: NetBox job {job_id}")
        started = time.monotonic()
        job = wait_for_job(netbox, job_id, args.job_timeout)
        status = job["status"]["value"]
        say(f"job {job_id} {status} in {time.monotonic() - started:.1f} s "
            f"(job error: {job.get('error') or 'none'})")
        print_job_log(job)
        print_local_phases(job)
        (work / "job.json").write_text(json.dumps(job, indent=1))
        problems = check_stages(job)
        if not problems:
            problems = check_stream_errors(job) + check_netbox_holds(netbox)
        # The plugin's local phases (firewall, CPU models) read proxbox-api routes too; any
        # failure there makes the job "errored" although every stage was ok.
        if status != "completed":
            problems.append(f"job {job_id} ended {status}, not completed: "
                            f"{job.get('error') or 'no error text'}")
        problems += check_local_objects(netbox)
        for problem in problems:
            print(f"FAILED: {problem}", file=sys.stderr, flush=True)
        if problems:
            print(f"proxbox-api log tail:\n{processes.tail('proxbox-api')}", file=sys.stderr)
            return 1
        say(f"all {len(STAGES)} stages ok")
        return 0
    finally:
        processes.stop_all()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build" / "dev")
    parser.add_argument("--job-timeout", type=int, default=900, help="seconds for the job")
    parser.add_argument("--keep-dir", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    args.build_dir = args.build_dir.resolve()
    work = Path(tempfile.mkdtemp(prefix="plugin-sync-all-"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return run(args, work)
    except Failed as failure:
        print(f"FAILED: {failure}", file=sys.stderr, flush=True)
        return 1
    finally:
        if args.keep_dir:
            say(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
