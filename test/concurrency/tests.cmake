# Concurrency suites (issue 3): every mode over every transport, with real clients, real
# threads and real child processes; async_test: what async mode (AsyncMixIn) promises.
# Each executable stays well under a minute.
add_library(socketserver_concurrency_support STATIC ${CMAKE_CURRENT_LIST_DIR}/concurrency_support.cpp)
target_link_libraries(socketserver_concurrency_support PUBLIC socketserver_test_support
                      PRIVATE socketserver_warnings)

foreach(suite many_clients simultaneous forking threading pool shutdown async)
  socketserver_add_test(test_concurrency_${suite} ${CMAKE_CURRENT_LIST_DIR}/${suite}_test.cpp
                        LABELS concurrency TIMEOUT 180 LIBRARIES socketserver_concurrency_support)
endforeach()
