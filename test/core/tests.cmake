socketserver_add_test(test_smoke ${CMAKE_CURRENT_LIST_DIR}/smoke_test.cpp LABELS core)
