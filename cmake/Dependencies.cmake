# Everything comes from Debian packages (scripts/setup installs them, by the names the Debian
# release offers). Boost.URL first shipped in 1.81.
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS json url system)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Threads REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# RE2: linear-time regular expressions for patterns and values clients send (mock fault rules,
# Proxmox parameter patterns); std::regex backtracks and recurses per character.
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
if(PBX_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(PBX_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
