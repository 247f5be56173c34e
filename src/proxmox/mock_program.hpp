#pragma once
// The proxmox-mock program: flags, environment, one Engine per scenario cluster behind one
// http::Server, and the `scenario generate` subcommand. apps/proxmox-mock/main.cpp only calls it.

namespace pbx::proxmox {

// Returns the process exit code: 0 after a signal-initiated stop, 2 for usage errors, 1 when
// the server cannot start.
int run_proxmox_mock(int argc, char** argv);

}  // namespace pbx::proxmox
