# The command lines (socketserver::command_line), parsed in-process.
set(cli_dir ${CMAKE_CURRENT_LIST_DIR})
# ServerCommandLine: every option, bounds, --config, --help, --version.
socketserver_add_test(test_cli_server ${cli_dir}/server_command_line_test.cpp
                      LABELS concurrency cli TIMEOUT 60
                      LIBRARIES socketserver::command_line socketserver_tls_test_support)
# ClientCommandLine: the same core from the client side.
socketserver_add_test(test_cli_client ${cli_dir}/client_command_line_test.cpp
                      LABELS cli TIMEOUT 60 LIBRARIES socketserver::command_line socketserver_tls_test_support)
# --config FILE: only a regular file of sane size; errors name the file and the line.
socketserver_add_test(test_cli_config_file ${cli_dir}/config_file_test.cpp
                      LABELS cli TIMEOUT 60 LIBRARIES socketserver::command_line)
