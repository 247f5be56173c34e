#include "proxmox/mock_program.hpp"

int main(int argc, char** argv) {
  return pbx::proxmox::run_proxmox_mock(argc, argv);
}
