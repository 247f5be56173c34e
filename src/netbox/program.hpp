#pragma once
// The netbox-emulator program (apps/netbox-emulator/main.cpp is a one-line call into this):
// flags, version selection from the certified versions file, token checks, then the server.

namespace pbx::netbox {

// Returns the process exit code: 0 after a clean stop (SIGINT/SIGTERM), 2 on bad flags,
// 1 when the emulator cannot start.
int run_netbox_emulator(int argc, char** argv);

}  // namespace pbx::netbox
