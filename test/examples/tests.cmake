# End-to-end tests of the example programs (issue 4): the real binaries on port 0 and in
# temporary folders, driven by our clients and by clients that are not ours — Python
# socket clients written the way the tutorials write them, nc, socat and rdate.
if(TARGET echo_server)
  add_library(socketserver_examples_test_support STATIC ${CMAKE_CURRENT_LIST_DIR}/example_support.cpp)
  target_link_libraries(socketserver_examples_test_support
    PUBLIC socketserver_test_support PRIVATE socketserver_warnings)

  set(example_programs
    daytime_server daytime_client time_server echo_server uppercase_server line_client
    log_server log_client file_server file_client framed_echo_server framed_client
    hello_server hello_client)

  foreach(suite daytime echo_uppercase log file framed command_line)
    socketserver_add_test(test_examples_${suite} ${CMAKE_CURRENT_LIST_DIR}/${suite}_test.cpp
      LABELS examples TIMEOUT 180
      LIBRARIES socketserver_examples_test_support socketserver::handlers)
    add_dependencies(test_examples_${suite} ${example_programs})
  endforeach()

  socketserver_add_test(test_examples_helpers ${CMAKE_CURRENT_LIST_DIR}/example_helpers_test.cpp
    LABELS examples TIMEOUT 60 LIBRARIES socketserver_example_chat)
endif()
