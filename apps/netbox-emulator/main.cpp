#include "netbox/program.hpp"

int main(int argc, char** argv) {
  return pbx::netbox::run_netbox_emulator(argc, argv);
}
