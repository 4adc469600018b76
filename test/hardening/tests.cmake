# Hardening suites (issue 7): hostile clients, exhausted resources, signals, access
# control, file server paths. In-process servers on port 0 and the real example binaries.
set(hardening_dir ${CMAKE_CURRENT_LIST_DIR})
socketserver_add_test(test_hardening_hostile_clients ${hardening_dir}/hostile_clients_test.cpp
                      ${hardening_dir}/hardening_support.cpp LABELS hardening TIMEOUT 120)
socketserver_add_test(test_hardening_processes ${hardening_dir}/processes_test.cpp
                      ${hardening_dir}/hardening_support.cpp LABELS hardening TIMEOUT 150)
socketserver_add_test(test_hardening_flood ${hardening_dir}/flood_test.cpp
                      ${hardening_dir}/hardening_support.cpp LABELS hardening TIMEOUT 150)
socketserver_add_test(test_hardening_access ${hardening_dir}/access_test.cpp
                      ${hardening_dir}/hardening_support.cpp LABELS hardening TIMEOUT 60
                      LIBRARIES socketserver::command_line)
socketserver_add_test(test_hardening_examples ${hardening_dir}/examples_test.cpp
                      ${hardening_dir}/hardening_support.cpp LABELS hardening TIMEOUT 180)
socketserver_add_test(test_hardening_client_text ${hardening_dir}/client_text_test.cpp
                      ${hardening_dir}/hardening_support.cpp LABELS hardening TIMEOUT 120)
socketserver_add_test(test_hardening_round_two ${hardening_dir}/round_two_test.cpp
                      ${hardening_dir}/hardening_support.cpp LABELS hardening TIMEOUT 240)
