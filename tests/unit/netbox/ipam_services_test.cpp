// Services (netbox/models/ipam_services.cpp): device or VM parent per version, protocol
// choices, the ports list.

#include <gtest/gtest.h>

#include "emulator_test_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

constexpr const char* kServices = "/api/ipam/services/";

TEST(NetboxServices, UntilFourThreeADeviceOrAVirtualMachine) {
  EmulatorClient client({.version = "4.2", .full_version = "4.2.2"});
  const Topology t = make_topology(client);
  const int64_t vm = client.create(kVms, {{"name", "vm1"}, {"cluster", t.cluster}});
  const int64_t id = client.create(
      kServices,
      {{"name", "ssh"}, {"protocol", "tcp"}, {"ports", {22, "2222"}}, {"virtual_machine", vm}});
  const json::value service = client.get(std::string(kServices) + std::to_string(id) + "/");
  EXPECT_EQ(service.at("ports"), (json::array{22, 2222}));
  EXPECT_EQ(service.at("protocol"), (json::value{{"value", "tcp"}, {"label", "TCP"}}));
  EXPECT_EQ(service.at("virtual_machine").at("name"), "vm1");
  EXPECT_TRUE(service.at("device").is_null());
  EXPECT_FALSE(service.as_object().contains("parent_object_type"));
  const auto orphan =
      client.send(Verb::post, kServices, {{"name", "x"}, {"protocol", "udp"}, {"ports", {53}}});
  ASSERT_EQ(orphan.code(), 400u);
  EXPECT_EQ(body_of(orphan).at("__all__").at(0),
            "A service must be associated with either a device or a virtual machine.");
  const auto bad_port =
      client.send(Verb::post, kServices,
                  {{"name", "x"}, {"protocol", "udp"}, {"ports", {0}}, {"virtual_machine", vm}});
  EXPECT_EQ(body_of(bad_port).at("ports").at(0),
            "Ensure this value is greater than or equal to 1.");
  const auto bad_protocol =
      client.send(Verb::post, kServices,
                  {{"name", "x"}, {"protocol", "icmp"}, {"ports", {1}}, {"virtual_machine", vm}});
  EXPECT_EQ(body_of(bad_protocol).at("protocol").at(0), "icmp is not a valid choice.");
  EXPECT_EQ(
      client.get(std::string(kServices) + "?virtual_machine_id=" + std::to_string(vm)).at("count"),
      1);
  ASSERT_EQ(client.call(Verb::delete_, std::string(kVms) + std::to_string(vm) + "/").code(), 204u);
  EXPECT_EQ(client.get(kServices).at("count"), 0) << "a VM's services go with it";
}

TEST(NetboxServices, FromFourThreeAGenericParent) {
  EmulatorClient client;  // 4.6
  const Topology t = make_topology(client);
  const int64_t vm = client.create(kVms, {{"name", "vm1"}, {"cluster", t.cluster}});
  const auto missing =
      client.send(Verb::post, kServices, {{"name", "ssh"}, {"protocol", "tcp"}, {"ports", {22}}});
  ASSERT_EQ(missing.code(), 400u);
  EXPECT_EQ(body_of(missing).at("parent_object_type").at(0), "This field is required.");
  const int64_t id =
      client.create(kServices, {{"name", "ssh"},
                                {"protocol", "tcp"},
                                {"ports", {22}},
                                {"parent_object_type", "virtualization.virtualmachine"},
                                {"parent_object_id", vm}});
  const json::value service = client.get(std::string(kServices) + std::to_string(id) + "/");
  EXPECT_EQ(service.at("parent").at("name"), "vm1");
  EXPECT_FALSE(service.as_object().contains("virtual_machine"));
  const int64_t other = client.create(kVms, {{"name", "vm2"}, {"cluster", t.cluster}});
  client.create(kServices, {{"name", "dns"},
                            {"protocol", "udp"},
                            {"ports", {53}},
                            {"parent_object_type", "virtualization.virtualmachine"},
                            {"parent_object_id", other}});
  const std::string by_vm = std::string(kServices) + "?virtual_machine_id=" + std::to_string(vm);
  EXPECT_EQ(client.get(by_vm).at("count"), 1) << "NetBox keeps the filter through the parent";
  EXPECT_EQ(client.get(std::string(kServices) + "?virtual_machine=vm1").at("count"), 1);
  EXPECT_EQ(client.get(std::string(kServices) + "?device_id=" + std::to_string(vm)).at("count"), 0);
  ASSERT_EQ(client.call(Verb::delete_, std::string(kVms) + std::to_string(vm) + "/").code(), 204u);
  EXPECT_EQ(client.get(kServices).at("count"), 1) << "the parent's services go with it";
}

}  // namespace
}  // namespace pbx::netbox::testing
