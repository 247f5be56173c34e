#pragma once
// The proxbox-e2e command line: `matrix`, `cell`, `run-matrix`. apps/proxbox-e2e/main.cpp only
// forwards here, so the commands are testable in-process.

namespace pbx::e2e {

// Returns the process exit status.
int run_cli(int argc, char** argv);

}  // namespace pbx::e2e
