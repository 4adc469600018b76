# Unit tests of the framing helpers (lib/) and the bundled handlers' building blocks
# (handlers/): no network, in-memory readers and writers.
socketserver_add_test(test_framing ${CMAKE_CURRENT_LIST_DIR}/framing_test.cpp LABELS handlers TIMEOUT 60)
socketserver_add_test(test_handlers ${CMAKE_CURRENT_LIST_DIR}/handlers_test.cpp LABELS handlers TIMEOUT 60
  LIBRARIES socketserver::handlers)
