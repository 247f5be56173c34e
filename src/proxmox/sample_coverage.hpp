#pragma once
// Where the mock still answers from the schema alone: operations without a handler (a sample
// generated from their `returns`) in a part of the API that can be written. A read there does
// not show what a write beside it did, and a write there changes nothing, so a client that
// writes and reads back sees a fiction. The README lists these as sample-only and a unit test
// compares them with a checked-in list, so the list can shrink but not grow unnoticed.

#include <string>
#include <vector>

#include "proxmox/api_schema.hpp"
#include "proxmox/handlers.hpp"

namespace pbx::proxmox {

// "GET /cluster/firewall/rules", sorted: every operation with no bound handler that is a write,
// or that has a write (with or without a handler) at its own path, its parent path or a child
// path.
std::vector<std::string> sample_only_operations(const ApiSchema& schema,
                                                const BoundHandlers& handlers);

}  // namespace pbx::proxmox
