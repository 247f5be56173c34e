// /access: users, API tokens, realms, groups, roles and ACL as state, with Proxmox's rules and
// messages; what they change is what authentication sees; the scenario round-trips them.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mock_test_support.hpp"
#include "proxmox/access_state.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using namespace pbx::proxmox::testing;
using http::Verb;

const std::string kRootToken = "PVEAPIToken=root@pam!proxbox=00000000-0000-0000-0000-000000000000";

http::Headers with(std::string_view name, std::string_view value) {
  http::Headers headers;
  headers.set(name, value);
  return headers;
}

// Calls as root@pam with its API token (no CSRF needed), so auth stays on.
struct Client {
  Engine& engine;
  Reply operator()(Verb method, std::string_view path, std::string body = {}) const {
    return call(engine, method, std::string("/api2/json") + std::string(path), std::move(body),
                with("Authorization", kRootToken));
  }
  Reply get(std::string_view path) const { return (*this)(Verb::get, path); }
};

std::string message(const Reply& reply) {
  const auto* text =
      reply.json.is_object() ? reply.json.as_object().if_contains("message") : nullptr;
  return text != nullptr && text->is_string() ? std::string(text->as_string()) : reply.body;
}

const json::object* find_entry(const json::value& list, std::string_view key,
                               std::string_view value) {
  for (const auto& entry : list.as_array()) {
    if (entry.as_object().at(key).as_string() == value) return &entry.as_object();
  }
  return nullptr;
}

bool can_log_in(Engine& engine, std::string_view user, std::string_view password) {
  const Reply reply = call(
      engine, Verb::post, "/api2/json/access/ticket",
      "username=" + http::percent_encode(user) + "&password=" + http::percent_encode(password));
  return reply.status == 200;
}

TEST(AccessTest, DefaultsAreOneRootTwoRealmsAndTheBuiltInRoles) {
  Engine engine(test_options(Service::pve, true));
  const Client api{engine};
  const Reply users = api.get("/access/users");
  ASSERT_EQ(users.status, 200u) << users.body;
  ASSERT_EQ(users.data().as_array().size(), 1u);
  const auto& root = users.data().as_array()[0].as_object();
  EXPECT_EQ(root.at("userid"), "root@pam");
  EXPECT_EQ(root.at("enable"), 1);
  EXPECT_EQ(root.at("realm-type"), "pam");

  const Reply realms = api.get("/access/domains");
  ASSERT_EQ(realms.data().as_array().size(), 2u) << realms.body;
  EXPECT_EQ(find_entry(realms.data(), "realm", "pam")->at("type"), "pam");
  EXPECT_EQ(find_entry(realms.data(), "realm", "pve")->at("type"), "pve");
  const Reply pam = api.get("/access/domains/pam");
  ASSERT_EQ(pam.status, 200u) << pam.body;
  EXPECT_EQ(pam.data().at("type"), "pam");
  EXPECT_EQ(pam.data().at("comment"), "Linux PAM standard authentication");
  EXPECT_EQ(pam.data().at("digest").as_string().size(), 40u);
  EXPECT_EQ(api.get("/access/domains/corp").status, 500u);
  EXPECT_TRUE(api.get("/access/groups").data().as_array().empty());

  const Reply roles = api.get("/access/roles");
  const auto* auditor = find_entry(roles.data(), "roleid", "PVEAuditor");
  ASSERT_NE(auditor, nullptr) << roles.body;
  EXPECT_EQ(auditor->at("special"), 1);
  const std::string privs(auditor->at("privs").as_string());
  EXPECT_NE(privs.find("VM.Audit"), std::string::npos);
  EXPECT_NE(privs.find("Sys.Audit"), std::string::npos);
  EXPECT_EQ(privs.find("VM.Allocate"), std::string::npos);
  for (const char* role : {"Administrator", "NoAccess", "PVEAdmin", "PVEVMAdmin", "PVEVMUser",
                           "PVEDatastoreUser", "PVETemplateUser", "PVESDNUser", "PVEPoolAdmin"}) {
    EXPECT_NE(find_entry(roles.data(), "roleid", role), nullptr) << role;
  }
  const Reply admin = api.get("/access/roles/PVEVMAdmin");
  EXPECT_EQ(admin.data().at("VM.Allocate"), 1);
  EXPECT_FALSE(admin.data().as_object().contains("Sys.Modify"));
}

TEST(AccessTest, UsersAndGroupsKeepMembershipBothWays) {
  Engine engine(test_options(Service::pve, true));
  const Client api{engine};
  Reply refused = api(Verb::post, "/access/users", "userid=alice@pve&groups=ops");
  EXPECT_EQ(refused.status, 500u);
  EXPECT_EQ(message(refused), "create user failed: no such group 'ops'");
  EXPECT_EQ(api(Verb::post, "/access/groups", "groupid=ops&comment=Operations").status, 200u);
  EXPECT_EQ(message(api(Verb::post, "/access/groups", "groupid=ops")),
            "create group failed: group 'ops' already exists");
  const Reply created = api(Verb::post, "/access/users",
                            "userid=alice@pve&password=secret123&groups=ops&firstname=Alice&"
                            "email=alice%40example.com");
  ASSERT_EQ(created.status, 200u) << created.body;
  refused = api(Verb::post, "/access/users", "userid=alice@pve");
  EXPECT_EQ(message(refused), "create user failed: user 'alice@pve' already exists");

  const Reply alice = api.get("/access/users/alice@pve");
  ASSERT_EQ(alice.status, 200u) << alice.body;
  EXPECT_EQ(alice.data().at("firstname"), "Alice");
  EXPECT_EQ(alice.data().at("email"), "alice@example.com");
  EXPECT_EQ(alice.data().at("groups"), json::array{"ops"});
  EXPECT_EQ(api.get("/access/groups/ops").data().at("members"), json::array{"alice@pve"});
  const Reply full = api.get("/access/users?full=1");
  EXPECT_EQ(find_entry(full.data(), "userid", "alice@pve")->at("groups"), "ops");
  EXPECT_EQ(find_entry(full.data(), "userid", "alice@pve")->at("realm-type"), "pve");
  EXPECT_EQ(find_entry(api.get("/access/groups").data(), "groupid", "ops")->at("users"),
            "alice@pve");

  // groups without append replaces the membership; an empty value clears a field.
  EXPECT_EQ(api(Verb::post, "/access/groups", "groupid=dev").status, 200u);
  EXPECT_EQ(api(Verb::put, "/access/users/alice@pve", "groups=dev&firstname=").status, 200u);
  EXPECT_EQ(api.get("/access/users/alice@pve").data().at("groups"), json::array{"dev"});
  EXPECT_FALSE(api.get("/access/users/alice@pve").data().as_object().contains("firstname"));
  EXPECT_EQ(api(Verb::put, "/access/users/alice@pve", "groups=ops&append=1").status, 200u);
  EXPECT_EQ(api.get("/access/users/alice@pve").data().at("groups"), (json::array{"dev", "ops"}));
  EXPECT_EQ(message(api(Verb::put, "/access/users/bob@pve", "comment=x")),
            "update user failed: no such user ('bob@pve')");
  EXPECT_EQ(message(api.get("/access/users/bob@pve")), "no such user ('bob@pve')");
  EXPECT_EQ(api.get("/access/users?enabled=0").data().as_array().size(), 0u);

  // Deleting the group drops it from the user; deleting the user empties the other group.
  EXPECT_EQ(api(Verb::delete_, "/access/groups/dev").status, 200u);
  EXPECT_EQ(api.get("/access/users/alice@pve").data().at("groups"), json::array{"ops"});
  EXPECT_EQ(message(api(Verb::delete_, "/access/groups/dev")),
            "delete group failed: group 'dev' does not exist");
  EXPECT_EQ(api(Verb::delete_, "/access/users/alice@pve").status, 200u);
  EXPECT_TRUE(api.get("/access/groups/ops").data().at("members").as_array().empty());
  EXPECT_EQ(api.get("/access/users").data().as_array().size(), 1u);
}

TEST(AccessTest, LoginFollowsTheAccountsState) {
  Engine engine(test_options(Service::pve, true));
  const Client api{engine};
  ASSERT_EQ(api(Verb::post, "/access/users", "userid=carol@pve&password=carolpass1").status, 200u);
  EXPECT_TRUE(can_log_in(engine, "carol@pve", "carolpass1"));
  EXPECT_FALSE(can_log_in(engine, "carol@pve", "wrong-pass"));
  EXPECT_EQ(api(Verb::put, "/access/password", "userid=carol@pve&password=newpass12").status, 200u);
  EXPECT_TRUE(can_log_in(engine, "carol@pve", "newpass12"));
  EXPECT_EQ(api(Verb::put, "/access/users/carol@pve", "enable=0").status, 200u);
  EXPECT_FALSE(can_log_in(engine, "carol@pve", "newpass12"));
  EXPECT_EQ(api.get("/access/users?enabled=0").data().as_array().size(), 1u);
  EXPECT_EQ(api(Verb::put, "/access/users/carol@pve", "enable=1&expire=1000").status, 200u);
  EXPECT_FALSE(can_log_in(engine, "carol@pve", "newpass12"));  // expired in 1970
  EXPECT_EQ(api(Verb::put, "/access/users/carol@pve", "expire=0").status, 200u);
  EXPECT_TRUE(can_log_in(engine, "carol@pve", "newpass12"));
  EXPECT_EQ(api(Verb::delete_, "/access/users/carol@pve").status, 200u);
  EXPECT_FALSE(can_log_in(engine, "carol@pve", "newpass12"));
  // A user made without a password cannot log in with an empty one.
  ASSERT_EQ(api(Verb::post, "/access/users", "userid=nopw@pve").status, 200u);
  EXPECT_FALSE(can_log_in(engine, "nopw@pve", ""));
  // A password for a realm that does not exist is refused.
  EXPECT_EQ(message(api(Verb::post, "/access/users", "userid=x@corp&password=secret123")),
            "create user failed: auth domain 'corp' does not exist");
  // root@pam cannot go away: it comes back, without its tokens.
  EXPECT_EQ(api(Verb::delete_, "/access/users/root@pam").status, 200u);
  EXPECT_TRUE(can_log_in(engine, "root@pam", "proxmox"));
  EXPECT_EQ(api.get("/access/users").status, 401u);  // its token went with it
}

TEST(AccessTest, ApiTokensMadeThroughTheApiAuthenticate) {
  Engine engine(test_options(Service::pve, true));
  const Client api{engine};
  ASSERT_EQ(api(Verb::post, "/access/users", "userid=ci@pve").status, 200u);
  const Reply made = api(Verb::post, "/access/users/ci@pve/token/deploy", "comment=pipeline");
  ASSERT_EQ(made.status, 200u) << made.body;
  EXPECT_EQ(made.data().at("full-tokenid"), "ci@pve!deploy");
  EXPECT_EQ(made.data().at("info").at("privsep"), 1);
  const std::string secret(made.data().at("value").as_string());
  EXPECT_EQ(secret.size(), 36u);
  const http::Headers token = with("Authorization", "PVEAPIToken=ci@pve!deploy=" + secret);
  EXPECT_EQ(get(engine, "/api2/json/nodes", token).status, 200u);
  EXPECT_EQ(get(engine, "/api2/json/nodes",
                with("Authorization",
                     "PVEAPIToken=ci@pve!deploy=00000000-0000-0000-0000-"
                     "000000000000"))
                .status,
            401u);

  const Reply again = api(Verb::post, "/access/users/ci@pve/token/deploy");
  EXPECT_EQ(again.status, 400u);
  EXPECT_EQ(again.json.at("errors").at("tokenid"), "Token already exists.");
  const Reply listed = api.get("/access/users/ci@pve/token");
  ASSERT_EQ(listed.data().as_array().size(), 1u);
  EXPECT_EQ(listed.data().as_array()[0].at("tokenid"), "deploy");
  EXPECT_EQ(listed.data().as_array()[0].at("comment"), "pipeline");
  EXPECT_FALSE(listed.data().as_array()[0].as_object().contains("value"));
  const Reply updated = api(Verb::put, "/access/users/ci@pve/token/deploy", "privsep=0");
  EXPECT_EQ(updated.data().at("privsep"), 0);
  EXPECT_EQ(api.get("/access/users/ci@pve").data().at("tokens").at("deploy").at("privsep"), 0);
  EXPECT_EQ(message(api.get("/access/users/ci@pve/token/other")),
            "no such token 'other' for user 'ci@pve'");

  // An expired token, a disabled owner and a removed token stop authenticating.
  EXPECT_EQ(api(Verb::put, "/access/users/ci@pve/token/deploy", "expire=1000").status, 200u);
  EXPECT_EQ(get(engine, "/api2/json/nodes", token).status, 401u);
  EXPECT_EQ(api(Verb::put, "/access/users/ci@pve/token/deploy", "expire=0").status, 200u);
  EXPECT_EQ(api(Verb::put, "/access/users/ci@pve", "enable=0").status, 200u);
  EXPECT_EQ(get(engine, "/api2/json/nodes", token).status, 401u);
  EXPECT_EQ(api(Verb::put, "/access/users/ci@pve", "enable=1").status, 200u);
  EXPECT_EQ(get(engine, "/api2/json/nodes", token).status, 200u);
  EXPECT_EQ(api(Verb::delete_, "/access/users/ci@pve/token/deploy").status, 200u);
  EXPECT_EQ(get(engine, "/api2/json/nodes", token).status, 401u);
  EXPECT_EQ(message(api(Verb::delete_, "/access/users/ci@pve/token/deploy")),
            "no such token 'deploy' for user 'ci@pve'");
}

TEST(AccessTest, RolesFollowProxmoxRules) {
  Engine engine(test_options(Service::pve, true));
  const Client api{engine};
  const Reply reserved = api(Verb::post, "/access/roles", "roleid=PVEMine&privs=VM.Audit");
  EXPECT_EQ(reserved.status, 400u);
  EXPECT_EQ(message(api(Verb::post, "/access/roles", "roleid=Administrator")),
            "create role failed: role 'Administrator' already exists");
  EXPECT_EQ(message(api(Verb::post, "/access/roles", "roleid=Ops&privs=VM.Fly")),
            "create role failed: invalid privilege 'VM.Fly'");
  ASSERT_EQ(api(Verb::post, "/access/roles", "roleid=Ops&privs=VM.Audit,Sys.Audit").status, 200u);
  EXPECT_EQ(find_entry(api.get("/access/roles").data(), "roleid", "Ops")->at("privs"),
            "Sys.Audit,VM.Audit");
  EXPECT_EQ(find_entry(api.get("/access/roles").data(), "roleid", "Ops")->at("special"), 0);
  EXPECT_EQ(api(Verb::put, "/access/roles/Ops", "privs=VM.PowerMgmt&append=1").status, 200u);
  EXPECT_EQ(api.get("/access/roles/Ops").data().as_object().size(), 3u);
  EXPECT_EQ(api(Verb::put, "/access/roles/Ops", "privs=VM.Console").status, 200u);
  EXPECT_EQ(api.get("/access/roles/Ops").data(), (json::object{{"VM.Console", 1}}));
  EXPECT_EQ(message(api(Verb::put, "/access/roles/PVEAuditor", "privs=VM.Console")),
            "auto-generated role 'PVEAuditor' cannot be modified");
  EXPECT_EQ(message(api(Verb::delete_, "/access/roles/Administrator")),
            "auto-generated role 'Administrator' cannot be deleted");
  EXPECT_EQ(api(Verb::delete_, "/access/roles/Ops").status, 200u);
  EXPECT_EQ(message(api.get("/access/roles/Ops")), "role 'Ops' does not exist");
}

TEST(AccessTest, AclEntriesAddRemoveAndFollowDeletes) {
  Engine engine(test_options(Service::pve, true));
  const Client api{engine};
  ASSERT_EQ(api(Verb::post, "/access/users", "userid=dave@pve").status, 200u);
  ASSERT_EQ(api(Verb::post, "/access/groups", "groupid=ops").status, 200u);
  ASSERT_EQ(api(Verb::post, "/access/users/dave@pve/token/t1").status, 200u);

  EXPECT_EQ(api(Verb::put, "/access/acl", "path=/vms/100&roles=PVEVMAdmin").status, 400u);
  const Reply bad_path =
      api(Verb::put, "/access/acl", "path=/nowhere&roles=PVEVMAdmin&users=dave@pve");
  EXPECT_EQ(bad_path.status, 400u);
  EXPECT_EQ(bad_path.json.at("errors").at("path"), "invalid ACL path '/nowhere'");
  EXPECT_EQ(message(api(Verb::put, "/access/acl", "path=/&roles=Nope&users=dave@pve")),
            "ACL update failed: role 'Nope' does not exist");
  EXPECT_EQ(message(api(Verb::put, "/access/acl", "path=/&roles=PVEAuditor&users=eve@pve")),
            "ACL update failed: user 'eve@pve' does not exist");
  EXPECT_TRUE(api.get("/access/acl").data().as_array().empty());

  ASSERT_EQ(api(Verb::put, "/access/acl",
                "path=//vms/100/&roles=PVEVMAdmin,PVEAuditor&users=dave@pve&groups=ops&"
                "tokens=dave@pve!t1&propagate=0")
                .status,
            200u);
  const Reply acl = api.get("/access/acl");
  ASSERT_EQ(acl.data().as_array().size(), 6u) << acl.body;
  const auto& first = acl.data().as_array()[0].as_object();
  EXPECT_EQ(first.at("path"), "/vms/100");
  EXPECT_EQ(first.at("type"), "user");
  EXPECT_EQ(first.at("ugid"), "dave@pve");
  EXPECT_EQ(first.at("propagate"), 0);
  // Again: the same entries, not new ones.
  ASSERT_EQ(
      api(Verb::put, "/access/acl", "path=/vms/100&roles=PVEVMAdmin&users=dave@pve&propagate=0")
          .status,
      200u);
  EXPECT_EQ(api.get("/access/acl").data().as_array().size(), 6u);
  ASSERT_EQ(api(Verb::put, "/access/acl", "path=/vms/100&roles=PVEAuditor&users=dave@pve&delete=1")
                .status,
            200u);
  EXPECT_EQ(api.get("/access/acl").data().as_array().size(), 5u);
  // Deleting the token, the group and the user drops their entries.
  EXPECT_EQ(api(Verb::delete_, "/access/users/dave@pve/token/t1").status, 200u);
  EXPECT_EQ(api.get("/access/acl").data().as_array().size(), 3u);
  EXPECT_EQ(api(Verb::delete_, "/access/groups/ops").status, 200u);
  EXPECT_EQ(api.get("/access/acl").data().as_array().size(), 1u);
  EXPECT_EQ(api(Verb::delete_, "/access/users/dave@pve").status, 200u);
  EXPECT_TRUE(api.get("/access/acl").data().as_array().empty());
  // root@pam is always Administrator: Proxmox keeps no entry for it.
  EXPECT_EQ(api(Verb::put, "/access/acl", "path=/&roles=PVEAuditor&users=root@pam").status, 200u);
  EXPECT_TRUE(api.get("/access/acl").data().as_array().empty());
}

TEST(AccessTest, PermissionsFollowTheAcl) {
  Engine engine(test_options(Service::pve, true));
  const Client api{engine};
  const Reply root = api.get("/access/permissions?path=/vms/100");
  ASSERT_EQ(root.status, 200u) << root.body;
  EXPECT_EQ(root.data().at("/vms/100").at("VM.Allocate"), 1);
  EXPECT_EQ(root.data().at("/vms/100").at("Sys.Modify"), 1);

  ASSERT_EQ(api(Verb::post, "/access/groups", "groupid=ops").status, 200u);
  ASSERT_EQ(api(Verb::post, "/access/users", "userid=fay@pve&groups=ops").status, 200u);
  ASSERT_EQ(api(Verb::put, "/access/acl", "path=/vms&roles=PVEVMUser&groups=ops").status, 200u);
  ASSERT_EQ(api(Verb::put, "/access/acl", "path=/vms/100&roles=PVEAuditor&users=fay@pve").status,
            200u);
  ASSERT_EQ(api(Verb::put, "/access/acl", "path=/vms/102&roles=NoAccess&groups=ops").status, 200u);
  const auto privileges = [&](std::string_view query) {
    const Reply reply = api.get(std::string("/access/permissions?") + std::string(query));
    EXPECT_EQ(reply.status, 200u) << reply.body;
    return reply.data().as_object();
  };
  // The user's own entry on /vms/100 replaces what the group has from /vms.
  const json::object on_100 = privileges("userid=fay@pve&path=/vms/100").at("/vms/100").as_object();
  EXPECT_TRUE(on_100.contains("VM.Audit"));
  EXPECT_FALSE(on_100.contains("VM.PowerMgmt"));
  const json::object on_101 = privileges("userid=fay@pve&path=/vms/101").at("/vms/101").as_object();
  EXPECT_EQ(on_101.at("VM.PowerMgmt"), 1);
  EXPECT_FALSE(on_101.contains("VM.Allocate"));
  EXPECT_TRUE(privileges("userid=fay@pve&path=/vms/102").at("/vms/102").as_object().empty());
  EXPECT_TRUE(privileges("userid=fay@pve&path=/storage").at("/storage").as_object().empty());
  // Without a path: the paths with any privilege.
  const json::object all = privileges("userid=fay@pve");
  EXPECT_TRUE(all.contains("/vms"));
  EXPECT_TRUE(all.contains("/vms/100"));
  EXPECT_FALSE(all.contains("/vms/102"));
  EXPECT_FALSE(all.contains("/"));

  // A privilege-separated token has what both it and its user have.
  ASSERT_EQ(api(Verb::post, "/access/users/fay@pve/token/ci").status, 200u);
  ASSERT_EQ(
      api(Verb::put, "/access/acl", "path=/vms/101&roles=PVEVMAdmin&tokens=fay@pve!ci").status,
      200u);
  const json::object token =
      privileges("userid=fay@pve!ci&path=/vms/101").at("/vms/101").as_object();
  EXPECT_EQ(token.at("VM.PowerMgmt"), 1);
  EXPECT_FALSE(token.contains("VM.Allocate"));
  ASSERT_EQ(api(Verb::put, "/access/users/fay@pve/token/ci", "privsep=0").status, 200u);
  EXPECT_FALSE(privileges("userid=fay@pve!ci&path=/vms/101")
                   .at("/vms/101")
                   .as_object()
                   .contains("VM.Allocate"));
  EXPECT_EQ(message(api.get("/access/permissions?userid=nobody@pve")),
            "no such user ('nobody@pve')");
}

TEST(AccessTest, RealmsFollowProxmoxRules) {
  Engine engine(test_options(Service::pve, true));
  const Client api{engine};
  const Reply missing =
      api(Verb::post, "/access/domains", "realm=corp&type=ldap&base_dn=dc%3Dcorp&user_attr=uid");
  EXPECT_EQ(missing.status, 400u);
  EXPECT_TRUE(missing.json.at("errors").as_object().contains("server1")) << missing.body;
  EXPECT_EQ(message(api(Verb::post, "/access/domains",
                        "realm=pve&type=ldap&base_dn=x&server1=h&"
                        "user_attr=uid")),
            "add auth server failed: domain 'pve' already exists");
  ASSERT_EQ(api(Verb::post, "/access/domains",
                "realm=corp&type=ldap&base_dn=dc%3Dcorp&server1=ldap.corp&user_attr=uid&"
                "comment=Corporate&default=1")
                .status,
            200u);
  const Reply corp = api.get("/access/domains/corp");
  ASSERT_EQ(corp.status, 200u) << corp.body;
  EXPECT_EQ(corp.data().at("type"), "ldap");
  EXPECT_EQ(corp.data().at("server1"), "ldap.corp");
  EXPECT_EQ(corp.data().at("default"), 1);
  const std::string digest(corp.data().at("digest").as_string());
  EXPECT_EQ(api(Verb::put, "/access/domains/corp", "comment=LDAP&digest=" + digest).status, 200u);
  EXPECT_EQ(message(api(Verb::put, "/access/domains/corp", "comment=x&digest=" + digest)),
            "update auth server failed: detected modified configuration - file changed by other "
            "user? Try again.");
  EXPECT_EQ(api(Verb::put, "/access/domains/corp", "delete=default").status, 200u);
  EXPECT_FALSE(api.get("/access/domains/corp").data().as_object().contains("default"));
  EXPECT_EQ(find_entry(api.get("/access/domains").data(), "realm", "corp")->at("comment"), "LDAP");
  EXPECT_EQ(api(Verb::delete_, "/access/domains/corp").status, 200u);
  EXPECT_EQ(message(api(Verb::delete_, "/access/domains/corp")),
            "delete auth server failed: authentication domain 'corp' does not exist");
  // The built-in realms come back as installed.
  EXPECT_EQ(api(Verb::put, "/access/domains/pve", "comment=mine").status, 200u);
  EXPECT_EQ(api(Verb::delete_, "/access/domains/pve").status, 200u);
  EXPECT_EQ(api.get("/access/domains/pve").data().at("comment"),
            "Proxmox VE authentication server");
}

TEST(AccessTest, StateRoundTripsThroughTheScenario) {
  Engine engine(test_options(Service::pve, true));
  const Client api{engine};
  ASSERT_EQ(api(Verb::post, "/access/groups", "groupid=ops").status, 200u);
  ASSERT_EQ(
      api(Verb::post, "/access/users", "userid=erin@pve&password=erinpass1&groups=ops").status,
      200u);
  const Reply token = api(Verb::post, "/access/users/erin@pve/token/ci");
  ASSERT_EQ(api(Verb::post, "/access/roles", "roleid=Ops&privs=VM.Audit").status, 200u);
  ASSERT_EQ(api(Verb::put, "/access/acl", "path=/pool/web&roles=Ops&groups=ops").status, 200u);
  ASSERT_EQ(api(Verb::post, "/access/domains",
                "realm=sso&type=openid&issuer-url=https%3A%2F%2F"
                "id.example&client-id=pve")
                .status,
            200u);

  const Scenario exported = engine.export_state();
  const Scenario reparsed = Scenario::from_json(exported.to_json());
  EXPECT_EQ(reparsed, exported);
  EngineOptions options = test_options(Service::pve, true);
  options.cluster = reparsed.clusters.front();
  options.access = AccessConfig::of(reparsed);
  Engine copy(options);
  EXPECT_EQ(copy.export_state(), exported);
  for (const char* path : {"/access/users?full=1", "/access/groups", "/access/roles", "/access/acl",
                           "/access/domains"}) {
    EXPECT_EQ(Client{copy}.get(path).body, api.get(path).body) << path;
  }
  EXPECT_TRUE(can_log_in(copy, "erin@pve", "erinpass1"));
  const std::string secret(token.data().at("value").as_string());
  EXPECT_EQ(
      get(copy, "/api2/json/nodes", with("Authorization", "PVEAPIToken=erin@pve!ci=" + secret))
          .status,
      200u);

  // POST /mock/scenario with users replaces the access state; without, keeps it.
  json::object body = exported.to_json().as_object();
  body.erase("users");
  body.erase("groups");
  body.erase("acl");
  body.erase("roles");
  ASSERT_EQ(
      call(engine, Verb::post, "/mock/scenario", json::serialize(body), {}, "application/json")
          .status,
      200u);
  EXPECT_EQ(engine.export_state(), exported);
}

TEST(AccessTest, ScenarioReferencesAreChecked) {
  Scenario scenario;
  scenario.clusters = {default_cluster(Service::pve)};
  scenario.groups = {GroupScenario{"ops", "", {"ghost@pve"}}};
  EXPECT_THROW(Scenario::from_json(scenario.to_json()), std::invalid_argument);
  scenario.groups.clear();
  scenario.acl = {AclScenario{"/", "group", "ops", "PVEAuditor", true}};
  EXPECT_THROW(Scenario::from_json(scenario.to_json()), std::invalid_argument);
  scenario.acl = {AclScenario{"/", "user", "root@pam", "NoSuchRole", true}};
  EngineOptions options = test_options();
  options.access = AccessConfig::of(scenario);
  EXPECT_THROW(Engine{options}, std::invalid_argument);
  scenario.acl.clear();
  scenario.roles = {RoleScenario{"PVEAuditor", {"VM.Audit"}}};
  options.access = AccessConfig::of(scenario);
  EXPECT_THROW(Engine{options}, std::invalid_argument);
}

}  // namespace
}  // namespace pbx::proxmox
