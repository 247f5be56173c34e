// Lists and single reads (netbox/reads.cpp): paging, brief/fields, ordering, cursor paging.

#include <gtest/gtest.h>

#include "emulator_test_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

// Counts NetBox annotates on its list queryset appear where real NetBox 4.2.9/4.4.10/4.6.8
// rendered them (netbox_differential_test): in lists, details and updates; in create answers
// from 4.5; never in nested objects, where 4.3's role counts (default=0) are 0 — except in a
// PATCH answer before 4.5, whose partial serializer skips defaults.
TEST(NetboxAnnotations, CountsOnlyWhereNetBoxAnnotatesThem) {
  for (const auto& [version, full] :
       {std::pair{"4.2", "4.2.2"}, std::pair{"4.4", "4.4.10"}, std::pair{"4.6", "4.6.5"}}) {
    SCOPED_TRACE(version);
    const bool v46 = std::string_view(version) == "4.6";
    EmulatorClient client({.version = version, .full_version = full});
    const Topology t = make_topology(client);
    const auto created = body_of(client.send(Verb::post, "/api/virtualization/clusters/",
                                             {{"name", "c2"}, {"type", t.cluster_type}}));
    EXPECT_EQ(created.as_object().contains("virtualmachine_count"), v46);
    const auto vm = body_of(client.send(Verb::post, kVms, {{"name", "v"}, {"cluster", t.cluster}}));
    EXPECT_FALSE(vm.at("cluster").as_object().contains("virtualmachine_count"));
    EXPECT_EQ(client.get("/api/virtualization/clusters/?name=pve")
                  .at("results")
                  .at(0)
                  .at("virtualmachine_count"),
              1);
    const auto device = body_of(client.send(
        Verb::post, "/api/dcim/devices/",
        {{"name", "d"}, {"device_type", t.device_type}, {"role", t.role}, {"site", t.site}}));
    const auto& role = device.at("role").as_object();
    if (std::string_view(version) == "4.2") {
      EXPECT_FALSE(role.contains("device_count"));
    } else {
      EXPECT_EQ(role.at("device_count"), 0) << "default=0 where not annotated";
    }
    const auto patched = body_of(client.send(
        Verb::patch, "/api/dcim/devices/" + std::to_string(device.at("id").as_int64()) + "/",
        {{"description", "x"}}));
    EXPECT_EQ(patched.at("role").as_object().contains("device_count"), v46);
  }
}

class NetboxLists : public ::testing::Test {
 protected:
  void SetUp() override {
    json::array tenants;
    for (int i = 0; i < 120; ++i) {
      tenants.push_back({{"name", "tenant-" + std::to_string(i)},
                         {"slug", "tenant-" + std::to_string(i)},
                         {"description", i % 2 ? "odd" : "even"}});
    }
    ASSERT_EQ(client.send(Verb::post, "/api/tenancy/tenants/", tenants).code(), 201u);
  }
  EmulatorClient client;
};

TEST_F(NetboxLists, DefaultPageIs50WithAbsoluteNext) {
  const auto page = client.get("/api/tenancy/tenants/?description=odd");
  EXPECT_EQ(page.at("count"), 60);
  EXPECT_EQ(page.at("results").as_array().size(), 50u);
  EXPECT_EQ(page.at("next"),
            "http://netbox.test/api/tenancy/tenants/?description=odd&limit=50&offset=50");
  EXPECT_TRUE(page.at("previous").is_null());
  const auto second = client.get(std::string(page.at("next").as_string()).substr(18));
  EXPECT_EQ(second.at("results").as_array().size(), 10u);
  EXPECT_EQ(second.at("previous"),
            "http://netbox.test/api/tenancy/tenants/?description=odd&limit=50");
}

TEST_F(NetboxLists, LimitIsCappedAndZeroMeansMax) {
  EXPECT_EQ(client.get("/api/tenancy/tenants/?limit=1000000").at("results").as_array().size(),
            120u);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?limit=0").at("results").as_array().size(), 120u);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?limit=-5").at("results").as_array().size(), 50u);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?limit=1000000").at("next").is_null(), true);
  EXPECT_TRUE(client.get("/api/tenancy/tenants/?offset=500").at("results").as_array().empty());
}

TEST_F(NetboxLists, NextHonoursForwardedHeaders) {
  client.set_header("X-Forwarded-Proto", "https");
  client.set_header("X-Forwarded-Host", "proxy.example");
  EXPECT_EQ(client.get("/api/tenancy/tenants/?limit=10").at("next"),
            "https://proxy.example/api/tenancy/tenants/?limit=10&offset=10");
}

TEST_F(NetboxLists, FiltersExactOrLookupsAndQ) {
  EXPECT_EQ(client.get("/api/tenancy/tenants/?name=tenant-1&name=tenant-2").at("count"), 2);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?name__ic=TENANT-11").at("count"), 11);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?description__n=odd").at("count"), 60);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?q=ant-10").at("count"), 11);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?id__gte=100").at("count"), 21);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?name__ie=TENANT-5").at("count"), 1);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?bogus=1").at("count"), 120);
}

TEST_F(NetboxLists, BriefFieldsAndOrdering) {
  const auto brief = client.get("/api/tenancy/tenants/?brief=0&limit=1").at("results").at(0);
  EXPECT_EQ(brief.as_object().size(), 6u) << json::serialize(brief);
  EXPECT_FALSE(brief.as_object().contains("created"));
  const auto fields =
      client.get("/api/tenancy/tenants/?fields=id,name&limit=1").at("results").at(0);
  EXPECT_EQ(fields.as_object().size(), 2u);
  const auto last = client.get("/api/tenancy/tenants/?ordering=-id&limit=1").at("results").at(0);
  EXPECT_EQ(last.at("id"), 120);
}

TEST_F(NetboxLists, CursorPagingFrom46) {
  const auto page = client.get("/api/tenancy/tenants/?start=100&limit=10");
  EXPECT_TRUE(page.at("count").is_null());
  EXPECT_EQ(page.at("results").at(0).at("id"), 100);
  EXPECT_EQ(page.at("next"), "http://netbox.test/api/tenancy/tenants/?start=110&limit=10");
  EXPECT_EQ(client.call(Verb::get, "/api/tenancy/tenants/?start=1&offset=5").code(), 400u);
  const auto omitted = client.get("/api/tenancy/tenants/?omit=custom_fields,tags&limit=1");
  EXPECT_FALSE(omitted.at("results").at(0).as_object().contains("tags"));
}

// Issue 12.5: NetBox reads limit and offset with Python's int(): no overflow, a huge offset is
// past the last page (empty results, next null, previous one page back), a huge limit is capped.
TEST_F(NetboxLists, HugeOffsetsAndLimitsAreClampedNotOverflowed) {
  const auto past = client.get("/api/tenancy/tenants/?offset=9223372036854775807");
  EXPECT_EQ(past.at("count"), 120);
  EXPECT_TRUE(past.at("results").as_array().empty());
  EXPECT_TRUE(past.at("next").is_null());
  EXPECT_EQ(past.at("previous"),
            "http://netbox.test/api/tenancy/tenants/?offset=9223372036854775757&limit=50");
  const auto beyond = client.get("/api/tenancy/tenants/?offset=99999999999999999999999&limit=7");
  EXPECT_TRUE(beyond.at("results").as_array().empty());
  EXPECT_TRUE(beyond.at("next").is_null());
  const auto last = client.get("/api/tenancy/tenants/?offset=9223372036854775807&limit=1000");
  EXPECT_TRUE(last.at("next").is_null());
  const auto all = client.get("/api/tenancy/tenants/?limit=99999999999999999999");
  EXPECT_EQ(all.at("results").as_array().size(), 120u);
  EXPECT_TRUE(all.at("next").is_null());
  for (const char* ignored : {"-5", "abc", "-99999999999999999999", ""}) {
    const auto first = client.get(std::string("/api/tenancy/tenants/?offset=") + ignored);
    EXPECT_EQ(first.at("results").as_array().size(), 50u) << ignored;
    EXPECT_TRUE(first.at("previous").is_null()) << ignored;
  }
  EXPECT_EQ(client.get("/api/tenancy/tenants/?limit=-99999999999999999999")
                .at("results")
                .as_array()
                .size(),
            50u);
}

}  // namespace
}  // namespace pbx::netbox::testing
