#include "api/program.hpp"

int main(int argc, char** argv) {
  return pbx::api::run_program(argc, argv);
}
