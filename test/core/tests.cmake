# Core framework suites (issue 2): real sockets on port 0 and Unix sockets in temp dirs.
socketserver_add_test(test_smoke ${CMAKE_CURRENT_LIST_DIR}/smoke_test.cpp LABELS core)
socketserver_add_test(test_address ${CMAKE_CURRENT_LIST_DIR}/address_test.cpp LABELS core TIMEOUT 60)
socketserver_add_test(test_reader ${CMAKE_CURRENT_LIST_DIR}/reader_test.cpp LABELS core TIMEOUT 60)
socketserver_add_test(test_stream_io ${CMAKE_CURRENT_LIST_DIR}/stream_io_test.cpp LABELS core TIMEOUT 120)
socketserver_add_test(test_servers ${CMAKE_CURRENT_LIST_DIR}/servers_test.cpp LABELS core TIMEOUT 120)
socketserver_add_test(test_unix_socket_files ${CMAKE_CURRENT_LIST_DIR}/unix_socket_files_test.cpp LABELS core TIMEOUT 60)
socketserver_add_test(test_lifecycle ${CMAKE_CURRENT_LIST_DIR}/lifecycle_test.cpp LABELS core TIMEOUT 120)
socketserver_add_test(test_file_transfer ${CMAKE_CURRENT_LIST_DIR}/file_transfer_test.cpp LABELS core TIMEOUT 60)
