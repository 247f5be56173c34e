// proxbox-e2e: generates the E2E matrix for CI, runs one cell locally, or runs them all.
#include "e2e/commands.hpp"

int main(int argc, char** argv) {
  return pbx::e2e::run_cli(argc, argv);
}
