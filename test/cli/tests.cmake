# ServerCommandLine (issue 3): the options every example server shares.
socketserver_add_test(test_command_line ${CMAKE_CURRENT_LIST_DIR}/command_line_test.cpp
                      LABELS concurrency cli TIMEOUT 60)
