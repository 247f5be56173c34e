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
  options.access.users = {UserScenario{"sync@pve", "pw", {TokenScenario{"ci", "abc", true}}}};
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

// Issue 12.7: two mocks with the same seed issued the same tickets, and tickets never expired.
TEST(AuthTest, TicketsAreSignedPerStartAndExpireAfterTwoHours) {
  int64_t now = 1'767'225'600;
  const UnixClock clock = [&now] { return now; };
  Authenticator first(Service::pve, {}, 1, clock);
  Authenticator second(Service::pve, {}, 1, clock);
  const auto one = first.login("root@pam", "proxmox");
  const auto two = second.login("root@pam", "proxmox");
  ASSERT_TRUE(one && two);
  EXPECT_TRUE(one->ticket.starts_with("PVE:root@pam:6955B900::")) << one->ticket;
  EXPECT_NE(one->ticket, two->ticket);
  EXPECT_NE(one->csrf_token, two->csrf_token);

  const auto request = [&](const IssuedTicket& issued, bool with_csrf) {
    http::Request made = http::Request::make(Verb::post, "/api2/json/nodes/pve1/qemu");
    made.headers.set(http::Field::cookie, "PVEAuthCookie=" + http::percent_encode(issued.ticket));
    if (with_csrf) made.headers.set("CSRFPreventionToken", issued.csrf_token);
    return made;
  };
  EXPECT_TRUE(first.authenticate(request(*one, true), true).identity);
  EXPECT_FALSE(second.authenticate(request(*one, true), true).identity);  // another mock's
  EXPECT_EQ(first.authenticate(request(*one, false), true).failure,
            "Permission denied - invalid csrf token");
  IssuedTicket forged = *one;
  forged.ticket.replace(forged.ticket.find("root@pam"), 8, "evil@pam");
  EXPECT_FALSE(first.authenticate(request(forged, false), false).identity);
  IssuedTicket other_csrf = *one;
  other_csrf.csrf_token = two->csrf_token;
  EXPECT_FALSE(first.authenticate(request(other_csrf, true), true).identity);

  now += Authenticator::kTicketLifetimeSeconds - 1;
  EXPECT_TRUE(first.authenticate(request(*one, true), true).identity);
  const auto renewed = first.login("root@pam", one->ticket);  // renewal with the ticket
  ASSERT_TRUE(renewed);
  now += 2;  // two hours and a second after the first ticket
  const AuthResult expired = first.authenticate(request(*one, false), false);
  EXPECT_FALSE(expired.identity);
  EXPECT_EQ(expired.failure, "invalid ticket");
  EXPECT_FALSE(first.login("root@pam", one->ticket));  // an expired ticket renews nothing
  EXPECT_TRUE(first.authenticate(request(*renewed, true), true).identity);
  // A ticket dated more than five minutes ahead (clock skew) is refused as Proxmox does.
  const int64_t renewed_at = 1'767'225'600 + Authenticator::kTicketLifetimeSeconds - 1;
  now = renewed_at - Authenticator::kTicketClockSkewSeconds + 1;
  EXPECT_TRUE(first.authenticate(request(*renewed, false), false).identity);
  now = renewed_at - Authenticator::kTicketClockSkewSeconds - 1;
  EXPECT_FALSE(first.authenticate(request(*renewed, false), false).identity);
}

TEST(AuthTest, TicketsOfRemovedUsersStopWorking) {
  auto accounts = std::make_shared<std::vector<UserScenario>>(default_users());
  Authenticator auth(
      Service::pve,
      [accounts](std::string_view userid) { return fixed_accounts(*accounts)(userid); }, 1);
  const auto issued = auth.login("root@pam", "proxmox");
  ASSERT_TRUE(issued);
  http::Request made = http::Request::make(Verb::get, "/api2/json/nodes");
  made.headers.set(http::Field::cookie, "PVEAuthCookie=" + http::percent_encode(issued->ticket));
  EXPECT_TRUE(auth.authenticate(made, false).identity);
  accounts->front().enable = false;  // a disabled account's tickets stop working too
  EXPECT_FALSE(auth.authenticate(made, false).identity);
  EXPECT_FALSE(auth.login("root@pam", "proxmox"));
  accounts->front().enable = true;
  EXPECT_TRUE(auth.authenticate(made, false).identity);
  *accounts = {UserScenario{"sync@pve", "pw", {}}};
  EXPECT_FALSE(auth.authenticate(made, false).identity);
}

}  // namespace
}  // namespace pbx::proxmox
