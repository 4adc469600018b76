# Install rules, the CMake package (find_package(socketserver CONFIG)) and CPack.
#
# Included from the top-level CMakeLists.txt once lib/ and handlers/ have defined their
# targets. Installs:
#   include/socketserver/...           public headers, version.hpp (generated) included
#   lib/libsocketserver*.a             socketserver::socketserver, socketserver::command_line
#                                      and socketserver::handlers
#   lib/cmake/socketserver/            socketserverConfig.cmake, ...ConfigVersion.cmake,
#                                      socketserverTargets.cmake
#   share/doc/socketserver/            README.md and the guides
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

option(SOCKETSERVER_INSTALL "Generate the install rules and the CMake package"
       ${PROJECT_IS_TOP_LEVEL})
if(NOT SOCKETSERVER_INSTALL)
  return()
endif()

set(SOCKETSERVER_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/socketserver
    CACHE STRING "Where to install socketserver's CMake package files, relative to the prefix")
mark_as_advanced(SOCKETSERVER_CMAKE_DIR)

# --- The library -----------------------------------------------------------------------
install(TARGETS socketserver EXPORT socketserverTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/lib/include/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/lib/include/socketserver/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/socketserver)

# --- The command lines (Boost.Program_options) ----------------------------------------
# Imported as socketserver::command_line, like the alias of the build tree. Its headers are
# among the library's, installed above.
set_target_properties(socketserver_command_line PROPERTIES EXPORT_NAME command_line)
install(TARGETS socketserver_command_line EXPORT socketserverTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# --- The bundled handlers --------------------------------------------------------------
if(TARGET socketserver_handlers)
  # Imported as socketserver::handlers, like the alias of the build tree.
  set_target_properties(socketserver_handlers PROPERTIES EXPORT_NAME handlers)
  install(TARGETS socketserver_handlers EXPORT socketserverTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  if(EXISTS ${PROJECT_SOURCE_DIR}/handlers/include)
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/handlers/include/
      DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
      FILES_MATCHING PATTERN "*.hpp")
  endif()
  # The handlers link nothing but the core: the package needs no further find_dependency().
endif()

# --- The CMake package -----------------------------------------------------------------
install(EXPORT socketserverTargets
  NAMESPACE socketserver::
  DESTINATION ${SOCKETSERVER_CMAKE_DIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/socketserverConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/socketserverConfig.cmake
  INSTALL_DESTINATION ${SOCKETSERVER_CMAKE_DIR})
# 0.x: a minor release may break the API, so only the same major.minor is compatible.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/socketserverConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/socketserverConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/socketserverConfigVersion.cmake
  DESTINATION ${SOCKETSERVER_CMAKE_DIR})

# --- Documentation ---------------------------------------------------------------------
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
  FILES_MATCHING PATTERN "*.md")

# --- CPack: `cpack -G DEB` in the build directory --------------------------------------
# One development package (headers, static libraries, CMake package, guides), named the
# Debian way. Only the top-level project may configure CPack.
if(PROJECT_IS_TOP_LEVEL)
  set(CPACK_PACKAGE_NAME libsocketserver-dev)
  set(CPACK_PACKAGE_VENDOR "socketserver for C++")
  set(CPACK_PACKAGE_CONTACT "socketserver for C++ maintainers <socketserver@localhost>")
  set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
  set(CPACK_PACKAGE_DESCRIPTION
      "Python's socketserver module for C++20 on Boost.Asio: TCP, UDP and Unix servers, request handlers, threading, forking, thread-pool and async (fiber) mix-ins, and reusable handlers. Headers, static libraries and the CMake package for find_package(socketserver).")
  set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
  set(CPACK_PACKAGE_FILE_NAME "${CPACK_PACKAGE_NAME}-${PROJECT_VERSION}")
  set(CPACK_RESOURCE_FILE_README ${PROJECT_SOURCE_DIR}/README.md)
  set(CPACK_PACKAGE_CHECKSUM SHA256)
  set(CPACK_GENERATOR DEB)
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # libsocketserver-dev_0.1.0_amd64.deb
  set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
  set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
  # What a consumer's find_package() and link need; the compiler and CMake are the
  # user's choice.
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libboost-dev (>= 1.74), libboost-program-options-dev (>= 1.74), libboost-context-dev (>= 1.74), libssl-dev (>= 3.0)")
  set(CPACK_DEBIAN_PACKAGE_SUGGESTS "cmake (>= 3.21), g++ (>= 12)")
  include(CPack)
endif()
