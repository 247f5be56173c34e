// InProcessTransport must fail like the socket client when a handler asks for a broken delivery.

#include "sync/transport.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace pbx::sync {
namespace {

TEST(InProcessTransportTest, DeliveryFaultsThrowLikeTheSocketClient) {
  int calls = 0;
  InProcessTransport transport([&calls](http::Request&) {
    http::Response response = http::Response::text(http::Status::ok, "0123456789");
    if (++calls == 1) response.delivery = http::Delivery::reset_connection;
    if (calls == 2) {
      response.delivery = http::Delivery::truncate_body;
      response.truncate_at = 5;
    }
    return response;
  });
  EXPECT_THROW(transport.send(http::Verb::get, "http://127.0.0.1:9/x", {}, {}),
               http::TransportError);
  EXPECT_THROW(transport.send(http::Verb::get, "http://127.0.0.1:9/x", {}, {}),
               http::TransportError);
  EXPECT_EQ(transport.send(http::Verb::get, "http://127.0.0.1:9/x", {}, {}).body, "0123456789");
  calls = 0;
  const auto retried = send_with_retry(transport, http::Verb::get, "http://127.0.0.1:9/x", {}, {},
                                       {}, RetryPolicy{5, std::chrono::milliseconds(1)});
  EXPECT_EQ(retried.status, 200u);
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace pbx::sync
