# Build tests (label build): the native parts (launcher, JNI library, C tests; no Maven)
# configured and built again in a scratch tree under this build, with -Werror, then their C
# unit tests run:
#   build-release   CMAKE_BUILD_TYPE=Release (-O3)
#   build-hardened  Debian's dpkg-buildflags with hardening=+all (-O2, -D_FORTIFY_SOURCE=2,
#                   stack protector, RELRO, BIND_NOW), checked with hardening-check
#   build-clang     Release with clang, registered only when clang is installed
# The default build type (RelWithDebInfo) is this build itself.
find_program(JSHIM_CLANG clang DOC "clang for the build-clang test")
set(_build_modes release hardened)
if(JSHIM_CLANG)
  list(APPEND _build_modes clang)
else()
  message(STATUS "jshim: no clang found: build-clang is not registered")
endif()
foreach(_mode IN LISTS _build_modes)
  add_test(NAME build-${_mode}
    COMMAND ${CMAKE_COMMAND} -E env "CLANG=${JSHIM_CLANG}"
            bash "${CMAKE_CURRENT_LIST_DIR}/build-flags.sh" ${_mode} "${CMAKE_SOURCE_DIR}"
            "${CMAKE_BINARY_DIR}/build-flags/${_mode}")
  # it builds with -j2: nothing else at the same time
  set_tests_properties(build-${_mode} PROPERTIES LABELS build RUN_SERIAL TRUE PROCESSORS 2
    TIMEOUT 240)
endforeach()
