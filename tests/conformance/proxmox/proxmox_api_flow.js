// Conformance peer: drives proxmox-mock with the npm `proxmox-api` client, unchanged.
// usage: NODE_PATH=build/npm-peers/node_modules node proxmox_api_flow.js HOST PORT password|token
// The mock serves a self-signed certificate, hence NODE_TLS_REJECT_UNAUTHORIZED=0 from the caller.
'use strict';
const proxmoxApi = require('proxmox-api').default;

const TOKEN_SECRET = '00000000-0000-0000-0000-000000000000';

function check(condition, what) {
  if (!condition) throw new Error(what);
}

async function waitTask(px, node, upid) {
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    const status = await px.nodes.$(node).tasks.$(upid).status.$get();
    if (status.status === 'stopped') return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`task ${upid} did not finish`);
}

async function main() {
  const [host, port, mode] = process.argv.slice(2);
  const options = mode === 'token'
    ? { host, port: Number(port), tokenID: 'root@pam!proxbox', tokenSecret: TOKEN_SECRET }
    : { host, port: Number(port), username: 'root@pam', password: 'proxmox' };
  const px = proxmoxApi(options);

  const nodes = await px.nodes.$get();
  check(nodes.length >= 1 && nodes[0].node, `nodes listed: ${JSON.stringify(nodes)}`);
  const node = nodes[0].node;

  const vmid = Number(await px.cluster.nextid.$get());
  const name = `proxmox-api-${mode}`;
  const upid = await px.nodes.$(node).qemu.$post({ vmid, name, memory: '1024', cores: 2 });
  check(String(upid).startsWith(`UPID:${node}:`), `create returns a UPID: ${upid}`);
  check((await waitTask(px, node, upid)).exitstatus === 'OK', 'create task OK');

  const config = await px.nodes.$(node).qemu.$(vmid).config.$get();
  check(config.name === name, `config name: ${JSON.stringify(config)}`);
  check(Number(config.cores) === 2, `config cores: ${JSON.stringify(config)}`);

  const started = await waitTask(px, node, await px.nodes.$(node).qemu.$(vmid).status.start.$post());
  check(started.exitstatus === 'OK', `start task: ${JSON.stringify(started)}`);
  const current = await px.nodes.$(node).qemu.$(vmid).status.current.$get();
  check(current.status === 'running', `status/current: ${JSON.stringify(current)}`);

  await waitTask(px, node, await px.nodes.$(node).qemu.$(vmid).status.stop.$post());
  await waitTask(px, node, await px.nodes.$(node).qemu.$(vmid).$delete());
  const resources = await px.cluster.resources.$get({ type: 'vm' });
  check(!resources.some((r) => r.vmid === vmid), 'VM gone from /cluster/resources');

  let refused = false;
  try {
    await proxmoxApi({ host, port: Number(port), username: 'root@pam', password: 'wrong' }).nodes.$get();
  } catch (error) {
    refused = true;
  }
  check(refused, 'wrong password accepted');
  console.log(`proxmox-api ${mode} flow OK (vmid ${vmid})`);
}

main().catch((error) => {
  console.error(`FAILED: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
