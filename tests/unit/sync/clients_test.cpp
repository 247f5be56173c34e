#include <gtest/gtest.h>

#include "fakes.hpp"
#include "sync/netbox_client.hpp"
#include "sync/proxmox_reader.hpp"

namespace pbx::sync {
namespace {
namespace json = boost::json;

TEST(NetBoxClient, TokenVersionFollowsThePrefix) {
  EXPECT_EQ(netbox_authorization("abc"), "Token abc");
  EXPECT_EQ(netbox_authorization("nbt_key.secret"), "Bearer nbt_key.secret");
}

TEST(NetBoxClient, ListFollowsNextThroughTheConfiguredOrigin) {
  testing::FakeNetBox netbox;
  std::vector<std::string> urls;
  InProcessTransport inner(netbox.handler());
  struct Recording : Transport {
    Transport& inner;
    std::vector<std::string>& urls;
    Recording(Transport& t, std::vector<std::string>& u) : inner(t), urls(u) {}
    http::ClientResponse send(http::Verb method, std::string_view url, std::string body,
                              const http::Headers& headers) override {
      urls.emplace_back(url);
      return inner.send(method, url, std::move(body), headers);
    }
  } recording(inner, urls);
  NetBoxClient client(recording, "http://127.0.0.1:9/", netbox.token);
  std::vector<json::object> tags;
  for (int i = 0; i < 2500; ++i) {
    tags.push_back(
        json::object{{"name", "t" + std::to_string(i)}, {"slug", "t" + std::to_string(i)}});
  }
  client.create("/extras/tags/", tags);
  urls.clear();
  EXPECT_EQ(client.list("/extras/tags/").size(), 2500u);
  ASSERT_EQ(urls.size(), 3u);
  for (const auto& url : urls)
    EXPECT_TRUE(url.starts_with("http://127.0.0.1:9/api/extras/tags/")) << url;
  EXPECT_EQ(netbox.posts, 5u) << "2500 objects in chunks of 500";
}

TEST(NetBoxClient, ErrorsCarryNetBoxsBody) {
  testing::FakeNetBox netbox;
  InProcessTransport transport(netbox.handler());
  NetBoxClient client(transport, "http://127.0.0.1:9", "wrong");
  try {
    client.list("/dcim/devices/");
    FAIL() << "expected NetBoxError";
  } catch (const NetBoxError& error) {
    EXPECT_EQ(error.status(), 403u);
    EXPECT_NE(std::string(error.what()).find("Invalid token"), std::string::npos);
  }
}

TEST(NetBoxClient, VersionFromStatus) {
  testing::FakeNetBox netbox;
  netbox.version = "4.1.3";
  InProcessTransport transport(netbox.handler());
  NetBoxClient client(transport, "http://127.0.0.1:9", netbox.token);
  const auto status = client.status();
  EXPECT_EQ(status.version.major, 4);
  EXPECT_EQ(status.version.minor, 1);
  EXPECT_TRUE(status.version.at_least(4, 1));
  EXPECT_FALSE(status.version.at_least(4, 2));
}

TEST(ProxmoxReader, ReadsWithAnApiToken) {
  testing::FakeProxmox proxmox;
  testing::FakeGuest guest;
  guest.name = "web";
  guest.agent = true;  // the fake agent fails: tolerated as a warning
  proxmox.guests = {guest};
  InProcessTransport transport(proxmox.handler());
  ProxmoxReader reader(transport, {"http://127.0.0.1:8006", proxmox.token, "", ""});
  const auto snapshot = reader.read("lab");
  EXPECT_EQ(snapshot.cluster_name, "lab");
  EXPECT_EQ(snapshot.cluster_mode, "cluster");
  EXPECT_EQ(snapshot.version, "8.2.4");
  ASSERT_EQ(snapshot.guests.size(), 1u);
  EXPECT_EQ(snapshot.guests[0].memory_bytes, 2048LL << 20);
  EXPECT_TRUE(snapshot.guests[0].onboot);
  EXPECT_TRUE(snapshot.guests[0].agent);
  EXPECT_EQ(snapshot.warnings.size(), 1u);
}

TEST(ProxmoxReader, ReadsWithUserAndPasswordAndSeesStandalone) {
  testing::FakeProxmox proxmox;
  proxmox.standalone = true;
  proxmox.nodes = {"solo"};
  InProcessTransport transport(proxmox.handler());
  ProxmoxReader reader(transport,
                       {"http://127.0.0.1:8006/api2/json", "", "root@pam", proxmox.password});
  const auto snapshot = reader.read("solo");
  EXPECT_EQ(snapshot.cluster_mode, "standalone");
  EXPECT_EQ(snapshot.cluster_name, "solo");
}

TEST(ProxmoxReader, WrongPasswordThrows) {
  testing::FakeProxmox proxmox;
  InProcessTransport transport(proxmox.handler());
  ProxmoxReader reader(transport, {"http://127.0.0.1:8006", "", "root@pam", "nope"});
  EXPECT_THROW(reader.read("lab"), ProxmoxError);
}

TEST(Transport, SplitUrl) {
  EXPECT_EQ(split_url("https://h:8006/api2/json?x=1").origin, "https://h:8006");
  EXPECT_EQ(split_url("https://h:8006/api2/json?x=1").target, "/api2/json?x=1");
  EXPECT_EQ(split_url("http://[::1]:80").target, "/");
  EXPECT_THROW(split_url("nope"), std::invalid_argument);
}

}  // namespace
}  // namespace pbx::sync
