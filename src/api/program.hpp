#pragma once
// The proxbox-api command line: `serve` (the HTTP service) and `sync` (one run for cron).

namespace pbx::api {

int run_program(int argc, char** argv);

}  // namespace pbx::api
