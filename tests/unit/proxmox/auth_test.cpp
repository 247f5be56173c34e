// Tickets, CSRF and API tokens as pveproxy / proxmox-backup-proxy check them.

#include "proxmox/auth.hpp"

#include <gtest/gtest.h>

#include "mock_test_support.hpp"

namespace pbx::proxmox {
namespace {

using namespace pbx::proxmox::testing;
using http::Verb;

http::Headers with(std::string_view name, std::string_view value) {
  http::Headers headers;
  headers.set(name, value);
  return headers;
}

struct Login {
  std::string ticket;
  std::string csrf;
};

Login login(Engine& engine, std::string body,
            std::string_view content_type = "application/x-www-form-urlencoded") {
  const Reply reply =
      call(engine, Verb::post, "/api2/json/access/ticket", std::move(body), {}, content_type);
  if (reply.status != 200) return {};
  const auto& data = reply.data().as_object();
  return {std::string(data.at("ticket").as_string()),
          std::string(data.at("CSRFPreventionToken").as_string())};
}

TEST(AuthTest, MissingCredentialsAre401WithEmptyData) {
  Engine engine(test_options(Service::pve, true));
  const Reply reply = get(engine, "/api2/json/nodes");
  EXPECT_EQ(reply.status, 401u);
  EXPECT_TRUE(reply.data().is_null());
  // Service endpoints stay open.
  EXPECT_EQ(get(engine, "/health").status, 200u);
}

TEST(AuthTest, PasswordLoginGivesTicketThatReadsAndNeedsCsrfToWrite) {
  Engine engine(test_options(Service::pve, true));
  EXPECT_TRUE(login(engine, "username=root@pam&password=wrong").ticket.empty());
  const Reply failed =
      call(engine, Verb::post, "/api2/json/access/ticket", "username=root@pam&password=wrong");
  EXPECT_EQ(failed.status, 401u);

  const Login session = login(engine, "username=root@pam&password=proxmox");
  ASSERT_TRUE(session.ticket.starts_with("PVE:root@pam:")) << session.ticket;
  const std::string cookie = "PVEAuthCookie=" + http::percent_encode(session.ticket);
  EXPECT_EQ(get(engine, "/api2/json/nodes", with("Cookie", cookie)).status, 200u);
  EXPECT_EQ(get(engine, "/api2/json/nodes", with("Cookie", "PVEAuthCookie=PVE:forged")).status,
            401u);

  // A write with the ticket but without the CSRF token is refused.
  const Reply no_csrf = call(engine, Verb::post, "/api2/json/nodes/pve1/qemu/100/status/stop", {},
                             with("Cookie", cookie));
  EXPECT_EQ(no_csrf.status, 401u);
  http::Headers both = with("Cookie", cookie);
  both.set("CSRFPreventionToken", session.csrf);
  EXPECT_EQ(call(engine, Verb::post, "/api2/json/nodes/pve1/qemu/100/status/stop", {}, both).status,
            200u);
}

TEST(AuthTest, JsonLoginAndRealmParameter) {
  Engine engine(test_options(Service::pve, true));
  EXPECT_FALSE(login(engine, R"({"username":"root@pam","password":"proxmox"})", "application/json")
                   .ticket.empty());
  EXPECT_FALSE(login(engine, "username=root&realm=pam&password=proxmox").ticket.empty());
}

TEST(AuthTest, ApiTokenNeedsNoCsrf) {
  Engine engine(test_options(Service::pve, true));
  const auto token =
      with("Authorization", "PVEAPIToken=root@pam!proxbox=00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(get(engine, "/api2/json/nodes", token).status, 200u);
  EXPECT_EQ(
      call(engine, Verb::post, "/api2/json/nodes/pve1/qemu/100/status/stop", {}, token).status,
      200u);
  EXPECT_EQ(
      get(engine, "/api2/json/nodes", with("Authorization", "PVEAPIToken=root@pam!proxbox=wrong"))
          .status,
      401u);
  EXPECT_EQ(get(engine, "/api2/json/nodes", with("Authorization", "Bearer x")).status, 401u);
  EXPECT_EQ(get(engine, "/api2/json/nodes", with("Authorization", "PVEAPIToken=")).status, 401u);
}

TEST(AuthTest, ScenarioUsersReplaceDefaults) {
  EngineOptions options = test_options(Service::pve, true);
  options.users = {UserScenario{"sync@pve", "pw", {TokenScenario{"ci", "abc", true}}}};
  Engine engine(options);
  EXPECT_TRUE(login(engine, "username=root@pam&password=proxmox").ticket.empty());
  EXPECT_FALSE(login(engine, "username=sync@pve&password=pw").ticket.empty());
  EXPECT_EQ(
      get(engine, "/api2/json/nodes", with("Authorization", "PVEAPIToken=sync@pve!ci=abc")).status,
      200u);
}

TEST(AuthTest, PbsUsesItsOwnCookieAndTokenSyntax) {
  Engine engine(test_options(Service::pbs, true));
  const Login session = login(engine, "username=root@pam&password=proxmox");
  ASSERT_TRUE(session.ticket.starts_with("PBS:root@pam:")) << session.ticket;
  EXPECT_EQ(get(engine, "/api2/json/admin/datastore",
                with("Cookie", "PBSAuthCookie=" + http::percent_encode(session.ticket)))
                .status,
            200u);
  EXPECT_EQ(get(engine, "/api2/json/admin/datastore",
                with("Authorization",
                     "PBSAPIToken=root@pam!proxbox:00000000-0000-0000-0000-000000000000"))
                .status,
            200u);
  // The PVE spelling is not accepted by PBS.
  EXPECT_EQ(get(engine, "/api2/json/admin/datastore",
                with("Authorization",
                     "PVEAPIToken=root@pam!proxbox=00000000-0000-0000-0000-000000000000"))
                .status,
            401u);
}

TEST(AuthTest, CookieParsing) {
  EXPECT_EQ(cookie_value("a=1; PVEAuthCookie=PVE%3Aroot; b=2", "PVEAuthCookie"), "PVE:root");
  EXPECT_EQ(cookie_value("a=1", "PVEAuthCookie"), std::nullopt);
  EXPECT_EQ(cookie_value("", "PVEAuthCookie"), std::nullopt);
}

}  // namespace
}  // namespace pbx::proxmox
