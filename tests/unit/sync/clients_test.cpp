#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <set>

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

std::vector<json::object> numbered_tags(int count) {
  return testing::numbered_tags(0, count);
}

TEST(NetBoxClient, ListFetchesEveryPageThroughTheConfiguredOriginInIdOrder) {
  testing::FakeNetBox netbox;
  InProcessTransport inner(netbox.handler());
  testing::RecordingTransport recording(inner);
  NetBoxClient client(recording, "http://127.0.0.1:9/", netbox.token);
  client.create("/extras/tags/", numbered_tags(2500));
  EXPECT_EQ(netbox.posts, 5u) << "2500 objects in chunks of 500";
  recording.clear();
  const auto tags = client.list("/extras/tags/", {{"fields", "id,slug"}});
  ASSERT_EQ(tags.size(), 2500u);
  // The chunks of one create go side by side, so ids follow the answers, not the items' order.
  std::set<std::string> slugs;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) {
      ASSERT_LT(tags[i - 1].at("id").as_int64(), tags[i].at("id").as_int64())
          << "pages joined in id order";
    }
    slugs.insert(std::string(tags[i].at("slug").as_string()));
    EXPECT_EQ(tags[i].size(), 2u) << "only the fields asked for";
  }
  EXPECT_EQ(slugs.size(), 2500u) << "every object listed once";
  const auto urls = recording.urls();
  ASSERT_EQ(urls.size(), 4u) << "first page, highest id, ids (1000,2000] and (2000,2500]";
  for (const auto& url : urls) {
    EXPECT_TRUE(url.starts_with("http://127.0.0.1:9/api/extras/tags/")) << url;
    EXPECT_TRUE(url.find("ordering=id") != std::string::npos ||
                url.find("ordering=-id") != std::string::npos)
        << url;
  }
}

TEST(NetBoxClient, ListFollowsAPageSizeTheServerCaps) {
  testing::FakeNetBox netbox;
  netbox.max_page_size = 300;  // a NetBox with MAX_PAGE_SIZE=300 answers limit=1000 with 300
  InProcessTransport inner(netbox.handler());
  testing::RecordingTransport recording(inner);
  NetBoxClient client(recording, "http://127.0.0.1:9", netbox.token);
  client.create("/extras/tags/", numbered_tags(1000));
  recording.clear();
  const auto tags = client.list("/extras/tags/");
  ASSERT_EQ(tags.size(), 1000u) << "no object skipped between pages of 300";
  std::set<std::string> slugs;
  for (const auto& tag : tags)
    slugs.insert(std::string(tag.at("slug").as_string()));
  EXPECT_EQ(slugs.size(), 1000u) << "none twice";
  EXPECT_EQ(recording.urls().size(), 5u) << "first page, highest id, (300,1000] in 3 pages";
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
  try {
    reader.read("lab");
    FAIL() << "expected ProxmoxError";
  } catch (const ProxmoxError& error) {
    // The cause first, the request after it (issue 16.4).
    const std::string message = error.what();
    EXPECT_EQ(message.find("authentication as root@pam failed with 401"), 0u) << message;
    EXPECT_NE(message.find("(POST http://127.0.0.1:8006/api2/json/access/ticket)"),
              std::string::npos)
        << message;
  }
}

TEST(ProxmoxReader, AFailedReadNamesTheCauseBeforeTheRequest) {
  testing::FakeProxmox proxmox;
  InProcessTransport transport(proxmox.handler());
  ProxmoxReader reader(transport, {"http://127.0.0.1:8006", "root@pam!proxbox=wrong", "", ""});
  try {
    reader.read("lab");
    FAIL() << "expected ProxmoxError";
  } catch (const ProxmoxError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.find("401: "), 0u) << message;
    EXPECT_NE(message.find(" (GET http://127.0.0.1:8006/api2/json/"), std::string::npos) << message;
  }
}

TEST(ClusterStatus, NamesTheClusterOrTheStandaloneNode) {
  const auto cluster = parse_cluster_status(json::parse(
      R"([{"type":"cluster","name":"lab","nodes":2},{"type":"node","name":"pve1","ip":"192.0.2.1"},
          {"type":"node","name":"pve2","ip":"192.0.2.2"}])"));
  EXPECT_TRUE(cluster.clustered);
  EXPECT_EQ(cluster.name, "lab");
  EXPECT_EQ(cluster.node_ips.at("pve2"), "192.0.2.2");

  const auto standalone =
      parse_cluster_status(json::parse(R"([{"type":"node","name":"solo","ip":"192.0.2.9"}])"));
  EXPECT_FALSE(standalone.clustered);
  EXPECT_EQ(standalone.name, "solo");
}

TEST(ClusterStatus, AnAnswerThatNamesNoClusterLeavesTheNameEmpty) {
  // The callers keep their own fallback then (the sync: /nodes; proxbox-api: the endpoint name).
  for (const char* text : {R"({"data":[]})", "[]", R"([{"type":"cluster","nodes":2}])",
                           R"([{"type":"node","name":"a"},{"type":"node","name":"b"}])"}) {
    const auto status = parse_cluster_status(json::parse(text));
    EXPECT_EQ(status.name, "") << text;
  }
  EXPECT_TRUE(parse_cluster_status(json::parse(R"([{"type":"cluster"}])")).clustered);
}

TEST(Transport, SplitUrl) {
  EXPECT_EQ(split_url("https://h:8006/api2/json?x=1").origin, "https://h:8006");
  EXPECT_EQ(split_url("https://h:8006/api2/json?x=1").target, "/api2/json?x=1");
  EXPECT_EQ(split_url("http://[::1]:80").target, "/");
  EXPECT_THROW(split_url("nope"), std::invalid_argument);
}

}  // namespace
}  // namespace pbx::sync
