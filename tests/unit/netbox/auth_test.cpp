// The emulator's token authentication per NetBox version (netbox/auth.cpp).

#include <gtest/gtest.h>

#include "emulator_test_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

TEST(NetboxAuth, MissingCredentialsIs403NotProvided) {
  EmulatorClient client;
  const auto response = client.call(Verb::get, "/api/dcim/sites/", {}, "");
  EXPECT_EQ(response.code(), 403u);
  EXPECT_EQ(body_of(response).at("detail"), "Authentication credentials were not provided.");
}

TEST(NetboxAuth, BadTokenMessagesFollowTheVersion) {
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2"});
  EXPECT_EQ(body_of(v42.call(Verb::get, "/api/dcim/sites/", {}, "Token nope")).at("detail"),
            "Invalid token");
  EmulatorClient v46;
  EXPECT_EQ(body_of(v46.call(Verb::get, "/api/dcim/sites/", {}, "Token nope")).at("detail"),
            "Invalid v1 token");
  EXPECT_EQ(body_of(v46.call(Verb::get, "/api/dcim/sites/", {}, "Bearer nbt_abc")).at("detail"),
            "Invalid v2 token");
}

TEST(NetboxAuth, V2BearerTokensFrom45Only) {
  const std::string v2 = "nbt_abcdefghijkl.secretsecret";
  EmulatorClient v45({.version = "4.5", .full_version = "4.5.3", .tokens = {v2}});
  EXPECT_EQ(v45.call(Verb::get, "/api/dcim/sites/", {}, "Bearer " + v2).code(), 200u);
  EXPECT_EQ(v45.call(Verb::get, "/api/authentication-check/", {}, "Bearer " + v2).code(), 200u);
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2", .tokens = {v2}});
  EXPECT_EQ(v42.call(Verb::get, "/api/dcim/sites/", {}, "Bearer " + v2).code(), 403u);
  EXPECT_EQ(v42.call(Verb::get, "/api/authentication-check/").code(), 404u);
}

TEST(NetboxAuth, RootAndStatusAreOpenAndEveryResponseHasApiVersion) {
  EmulatorClient client({.version = "4.2", .full_version = "4.2.2"});
  const auto root = client.call(Verb::get, "/api/", {}, "");
  EXPECT_EQ(root.code(), 200u);
  EXPECT_EQ(root.headers["API-Version"], "4.2");
  EXPECT_EQ(body_of(root).at("dcim"), "http://netbox.test/api/dcim/");
  const auto status = client.call(Verb::get, "/api/status/", {}, "");
  EXPECT_EQ(body_of(status).at("netbox-version"), "4.2.2");
  EXPECT_TRUE(body_of(status).as_object().contains("installed-apps"));
  EXPECT_EQ(client.call(Verb::get, "/api/nope/", {}, "").headers["API-Version"], "4.2");
}

TEST(NetboxAuth, OpenViewsStillRefuseAWrongToken) {
  // Seen on real NetBox 4.2: /api/status/ with a token it does not know is 403 "Invalid token";
  // no credentials, or a scheme that is not a token, reads as anonymous.
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2"});
  const auto refused = v42.call(Verb::get, "/api/status/", {}, "Token nope");
  EXPECT_EQ(refused.code(), 403u);
  EXPECT_EQ(body_of(refused).at("detail"), "Invalid token");
  EXPECT_EQ(v42.call(Verb::get, "/api/", {}, "Token nope").code(), 403u);
  EXPECT_EQ(v42.call(Verb::get, "/api/status/", {}, "Basic dXNlcjpwdw==").code(), 200u);
  EXPECT_EQ(v42.call(Verb::get, "/api/status/").code(), 200u);  // the client's own token
  EmulatorClient v46;
  EXPECT_EQ(body_of(v46.call(Verb::get, "/api/status/", {}, "Bearer nbt_abc")).at("detail"),
            "Invalid v2 token");
}

}  // namespace
}  // namespace pbx::netbox::testing
