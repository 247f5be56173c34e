# Warnings and sanitizers for our own targets only (third-party headers are SYSTEM includes).
add_library(pbx_options INTERFACE)
target_compile_options(pbx_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  -Wno-missing-field-initializers)
if(PBX_WERROR)
  target_compile_options(pbx_options INTERFACE -Werror)
endif()
if(PBX_SANITIZE)
  target_compile_options(pbx_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(pbx_options INTERFACE -fsanitize=address,undefined)
endif()
target_compile_definitions(pbx_options INTERFACE
  BOOST_ASIO_NO_DEPRECATED
  PBX_SHARED_DIR="${PBX_SHARED_DIR}"
  PBX_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
  PBX_VERSION="${PROJECT_VERSION}")

# pbx_add_library(name SOURCES ... DEPS ...): a static library under src/ whose public headers sit
# beside its sources and are included as "<component>/<header>.hpp".
function(pbx_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC "${CMAKE_SOURCE_DIR}/src")
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE pbx_options)
  if(PBX_SANITIZE)
    target_link_options(${name} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()

# pbx_add_unit_test(name SOURCES ... DEPS ... LABELS ...): a GoogleTest binary registered with CTest.
function(pbx_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main pbx_options)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "PBX_BUILD_DIR=${CMAKE_BINARY_DIR}")
endfunction()
