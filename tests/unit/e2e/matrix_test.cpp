#include "e2e/matrix.hpp"

#include <gtest/gtest.h>

#include <set>

namespace pbx::e2e {
namespace {

std::vector<NetBoxVersion> three_versions() {
  return {{"4.2", "4.2.2"}, {"4.5", "4.5.0"}, {"4.6", "4.6.0"}};
}

TEST(TransportBundles, AreTheSevenOfTheSpecInOrder) {
  const auto bundles = transport_bundles();
  ASSERT_EQ(bundles.size(), 7u);
  for (size_t i = 0; i < bundles.size(); ++i)
    EXPECT_EQ(bundles[i].id, static_cast<int>(i + 1));
  EXPECT_EQ(transport_bundle(1).netbox, Exposure::nginx_tls);
  EXPECT_EQ(transport_bundle(1).proxbox, Exposure::plain_http);
  EXPECT_EQ(transport_bundle(3).proxbox, Exposure::nginx_tls);
  EXPECT_EQ(transport_bundle(4).proxbox, Exposure::native_tls);
  EXPECT_EQ(transport_bundle(5).netbox, Exposure::native_tls);
  EXPECT_EQ(transport_bundle(5).proxbox, Exposure::native_tls);
  EXPECT_EQ(transport_bundle(6).netbox, Exposure::plain_http);
  EXPECT_TRUE(transport_bundle(7).ipv6);
  EXPECT_EQ(transport_bundle(7).loopback_host(), "::1");
  EXPECT_EQ(transport_bundle(6).loopback_host(), "127.0.0.1");
  for (int id = 1; id <= 6; ++id)
    EXPECT_FALSE(transport_bundle(id).ipv6) << id;
}

TEST(TransportBundles, UnknownIdNamesTheValidRange) {
  try {
    transport_bundle(8);
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("1-7"), std::string::npos);
  }
}

TEST(Matrix, PushHas63CellsReleaseHas126) {
  const auto push = build_matrix(modes_for(Event::push), three_versions());
  EXPECT_EQ(push.size(), 63u);
  const auto release = build_matrix(modes_for(Event::release), three_versions());
  EXPECT_EQ(release.size(), 126u);
  std::set<std::string> ids;
  for (const auto& cell : release)
    ids.insert(cell.id());
  EXPECT_EQ(ids.size(), 126u) << "cell ids must be unique";
}

TEST(Matrix, ExplicitModeOverridesTheEvent) {
  EXPECT_EQ(modes_for(Event::release, {Mode::release}), std::vector<Mode>{Mode::release});
  EXPECT_EQ(modes_for(Event::push), std::vector<Mode>{Mode::dev});
  EXPECT_EQ(parse_event("pull_request"), Event::push);
  EXPECT_THROW(parse_event("tag"), std::invalid_argument);
  EXPECT_THROW(parse_mode("pypi"), std::invalid_argument);
}

TEST(Matrix, CiJsonHasTheIncludeShape) {
  const auto cells = build_matrix({Mode::dev}, {{"4.6", "4.6.0"}});
  const auto json = to_ci_matrix(cells);
  const auto& include = json.at("include").as_array();
  ASSERT_EQ(include.size(), 21u);
  const auto& first = include.front().as_object();
  EXPECT_EQ(first.at("transport").as_int64(), 1);
  EXPECT_EQ(first.at("mode").as_string(), "dev");
  EXPECT_EQ(first.at("netbox_version").as_string(), "4.6");
  EXPECT_EQ(first.at("proxmox_service").as_string(), "pve");
  EXPECT_EQ(first.size(), 4u);
}

TEST(Matrix, EveryServiceOnEveryTransport) {
  const auto cells = build_matrix({Mode::dev}, three_versions());
  std::set<std::pair<int, std::string>> seen;
  for (const auto& cell : cells)
    seen.insert({cell.transport, cell.proxmox_service});
  EXPECT_EQ(seen.size(), 21u);
}

TEST(CellFilter, KeysAndTogetherValuesOr) {
  const auto cells = build_matrix({Mode::dev}, three_versions());
  const auto filter = CellFilter::parse("transport=1,transport=4,service=PBS, netbox=4.6");
  std::vector<Cell> kept;
  for (const auto& cell : cells)
    if (filter.matches(cell)) kept.push_back(cell);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].id(), "t1-dev-nb4.6-pbs");
  EXPECT_EQ(kept[1].id(), "t4-dev-nb4.6-pbs");
  EXPECT_TRUE(CellFilter::parse("").matches(cells.front()));
  EXPECT_THROW(CellFilter::parse("colour=red"), std::invalid_argument);
  EXPECT_THROW(CellFilter::parse("transport"), std::invalid_argument);
}

TEST(RealNetBox, AxisValuesNameTheirReleaseLine) {
  EXPECT_EQ(real_netbox_release("real-4.4"), "4.4");
  EXPECT_EQ(real_netbox_release("real-4.6"), "4.6");
  EXPECT_EQ(real_netbox_release("4.6"), std::nullopt) << "an emulator version";
  for (const auto* bad : {"real-", "real-x", "real-.4"}) {
    try {
      real_netbox_release(bad);
      ADD_FAILURE() << bad << " should be refused";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("real-4.2, real-4.4, real-4.6"), std::string::npos)
          << error.what();
    }
  }
  for (const auto& version : real_netbox_versions())
    EXPECT_TRUE(real_netbox_release(version).has_value()) << version;
}

TEST(RealNetBox, MatrixAddsRealVersionsOnlyWhenAsked) {
  EXPECT_EQ(netbox_axis(three_versions(), false), (std::vector<std::string>{"4.2", "4.5", "4.6"}));
  EXPECT_EQ(netbox_axis(three_versions(), true),
            (std::vector<std::string>{"4.2", "4.5", "4.6", "real-4.2", "real-4.4", "real-4.6"}));
  const auto cells = build_matrix({Mode::dev}, three_versions(), true);
  EXPECT_EQ(cells.size(), 7u * 6 * 3);
  std::set<std::string> ids;
  for (const auto& cell : cells)
    ids.insert(cell.id());
  EXPECT_EQ(ids.size(), cells.size()) << "cell ids must be unique";
  EXPECT_TRUE(ids.contains("t1-dev-nbreal-4.4-pve"));
  EXPECT_EQ(to_ci_matrix(cells).at("include").as_array().size(), cells.size());
  const auto filter = CellFilter::parse("transport=1,netbox=real-4.4,service=pve");
  std::vector<Cell> kept;
  for (const auto& cell : cells)
    if (filter.matches(cell)) kept.push_back(cell);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept.front().netbox_version, "real-4.4");
}

TEST(NetBoxVersions, RepositoryFileListsFourVersionsNewestLast) {
  const auto file = netbox::default_versions_file();
  const auto versions = netbox::load_versions(file);
  ASSERT_EQ(versions.size(), 4u);
  EXPECT_EQ(versions.back().version, "4.6");
}

TEST(NetBoxVersions, MissingFileIsAClearError) {
  try {
    netbox::load_versions("/nonexistent/netbox-versions.json");
    FAIL() << "expected runtime_error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/netbox-versions.json"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace pbx::e2e
