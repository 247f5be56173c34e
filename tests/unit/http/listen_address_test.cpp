#include <gtest/gtest.h>

#include <stdexcept>

#include "http/server.hpp"

namespace pbx::http {
namespace {

TEST(ListenAddressParse, AcceptsAndRejects) {
  EXPECT_EQ(ListenAddress::parse("127.0.0.1:8006").to_string(), "127.0.0.1:8006");
  const auto v6 = ListenAddress::parse("https://[::1]:0");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_TRUE(v6.tls);
  EXPECT_EQ(v6.to_string(), "[::1]:0");
  EXPECT_EQ(ListenAddress::parse(":8006").host, "");
  EXPECT_THROW(ListenAddress::parse("127.0.0.1"), std::invalid_argument);
  EXPECT_THROW(ListenAddress::parse("::1:80"), std::invalid_argument);
  EXPECT_THROW(ListenAddress::parse("127.0.0.1:70000"), std::invalid_argument);
  EXPECT_THROW(ListenAddress::parse("[::1]"), std::invalid_argument);
}

TEST(BoundEndpointUrl, BracketsIpv6Hosts) {
  EXPECT_EQ((BoundEndpoint{"127.0.0.1", 8006, false}).url(), "http://127.0.0.1:8006");
  EXPECT_EQ((BoundEndpoint{"::1", 43123, true}).url(), "https://[::1]:43123");
}

}  // namespace
}  // namespace pbx::http
