# Core framework suites (issue 2): real sockets on port 0 and Unix sockets in temp dirs.
socketserver_add_test(test_smoke ${CMAKE_CURRENT_LIST_DIR}/smoke_test.cpp LABELS core)
socketserver_add_test(test_address ${CMAKE_CURRENT_LIST_DIR}/address_test.cpp LABELS core TIMEOUT 60)
socketserver_add_test(test_reader ${CMAKE_CURRENT_LIST_DIR}/reader_test.cpp LABELS core TIMEOUT 60)
socketserver_add_test(test_stream_io ${CMAKE_CURRENT_LIST_DIR}/stream_io_test.cpp LABELS core TIMEOUT 120)
socketserver_add_test(test_servers ${CMAKE_CURRENT_LIST_DIR}/servers_test.cpp LABELS core TIMEOUT 120)
socketserver_add_test(test_unix_socket_files ${CMAKE_CURRENT_LIST_DIR}/unix_socket_files_test.cpp LABELS core TIMEOUT 60)
socketserver_add_test(test_lifecycle ${CMAKE_CURRENT_LIST_DIR}/lifecycle_test.cpp LABELS core TIMEOUT 120)
socketserver_add_test(test_file_transfer ${CMAKE_CURRENT_LIST_DIR}/file_transfer_test.cpp LABELS core TIMEOUT 60)
socketserver_add_test(test_message_handler ${CMAKE_CURRENT_LIST_DIR}/message_handler_test.cpp LABELS core TIMEOUT 120)
socketserver_add_test(test_api ${CMAKE_CURRENT_LIST_DIR}/api_test.cpp LABELS core TIMEOUT 60)

# Compile-failure tests: each source must fail to build with the library's own message.
function(socketserver_add_compile_failure name source expected)
  add_executable(${name} EXCLUDE_FROM_ALL ${source})
  target_link_libraries(${name} PRIVATE socketserver::socketserver)
  add_test(NAME ${name}
           COMMAND ${CMAKE_COMMAND} --build ${PROJECT_BINARY_DIR} --target ${name})
  # One at a time: each runs the build tool on the same build tree.
  set_tests_properties(${name} PROPERTIES LABELS core TIMEOUT 120 PASS_REGULAR_EXPRESSION "${expected}"
                       RESOURCE_LOCK socketserver_build_tree)
endfunction()
socketserver_add_compile_failure(test_compile_fail_move_only_argument
  ${CMAKE_CURRENT_LIST_DIR}/compile_fail/move_only_argument.cpp
  "pass a pointer, a std::shared_ptr or std::ref")
socketserver_add_compile_failure(test_compile_fail_mutex_member_argument
  ${CMAKE_CURRENT_LIST_DIR}/compile_fail/mutex_member_argument.cpp
  "pass a pointer, a std::shared_ptr or std::ref")
