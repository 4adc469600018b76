# Packaging: the installed package and the tutorial, as a user's own project sees them.
#
#   packaging_consumer          cmake --install into a temporary prefix, then configure, build
#                               and run docs/tutorial.md's project against it, and talk to it
#   packaging_add_subdirectory  a project that add_subdirectory()s this source tree gets the
#                               socketserver:: targets and none of the tests or examples
#
# Both need the build finished first (ctest runs after the build), and python3.
find_program(SOCKETSERVER_PYTHON3 python3)
if(NOT SOCKETSERVER_PYTHON3)
  message(STATUS "python3 not found: the packaging tests are not registered")
  return()
endif()

set(packaging_work ${CMAKE_CURRENT_BINARY_DIR}/packaging)
set(packaging_common
    --source-dir ${PROJECT_SOURCE_DIR}
    --build-dir ${PROJECT_BINARY_DIR}
    --cmake ${CMAKE_COMMAND}
    --cxx ${CMAKE_CXX_COMPILER}
    --generator ${CMAKE_GENERATOR}
    --sanitize=${SOCKETSERVER_SANITIZE}
    --version ${PROJECT_VERSION}
    --expect-handlers $<TARGET_EXISTS:socketserver_handlers>)

add_test(NAME packaging_consumer
  COMMAND ${SOCKETSERVER_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/consumer_test.py consumer
          ${packaging_common} --work-dir ${packaging_work}/consumer)
add_test(NAME packaging_add_subdirectory
  COMMAND ${SOCKETSERVER_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/consumer_test.py add_subdirectory
          ${packaging_common} --work-dir ${packaging_work}/add_subdirectory)
set_tests_properties(packaging_consumer packaging_add_subdirectory
  PROPERTIES LABELS packaging TIMEOUT 300)

# The API reference: `doxygen Doxyfile` must run clean (warnings are errors). Once per
# source tree is enough: not in the sanitizer builds.
if(TARGET docs AND DOXYGEN_FOUND AND NOT SOCKETSERVER_SANITIZE)
  add_test(NAME docs_doxygen
    COMMAND Doxygen::doxygen ${PROJECT_BINARY_DIR}/Doxyfile
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(docs_doxygen PROPERTIES LABELS "packaging;docs" TIMEOUT 300)
endif()
