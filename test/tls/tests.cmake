# TLS suites (issue 15): certificates made at test time by make_certificates (openssl).
#   test_tls_servers   in-process servers in every thread and fiber mode (also under TSan)
#   test_tls_examples  the example binaries (forking mode included) against real OpenSSL
#                      clients: openssl s_client, Python's ssl module, our own clients
set(tls_dir ${CMAKE_CURRENT_LIST_DIR})
add_library(socketserver_tls_test_support STATIC ${tls_dir}/tls_support.cpp)
target_include_directories(socketserver_tls_test_support PUBLIC ${tls_dir})
target_compile_definitions(socketserver_tls_test_support PUBLIC SOCKETSERVER_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
target_link_libraries(socketserver_tls_test_support PUBLIC socketserver_test_support PRIVATE socketserver_warnings)

socketserver_add_test(test_tls_servers ${tls_dir}/tls_servers_test.cpp LABELS tls TIMEOUT 240
                      LIBRARIES socketserver_tls_test_support socketserver::handlers)

if(TARGET echo_server)
  socketserver_add_test(test_tls_examples ${tls_dir}/tls_examples_test.cpp LABELS tls TIMEOUT 300
                        LIBRARIES socketserver_tls_test_support socketserver_examples_test_support
                                  socketserver::command_line)
  add_dependencies(test_tls_examples ${example_programs})
endif()
