// Custom fields and choice sets (netbox/custom_fields.cpp, the extras rules).

#include <gtest/gtest.h>

#include "emulator_test_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

// A value for a custom field the model lacks: 4.2's model clean() refuses it, 4.4.10 drops it
// as stale data, 4.6's serializer refuses it keyed by the name (each checked against NetBox).
TEST(NetboxCustomFields, UnknownNameIsRefusedOrDroppedAsEachVersionDoes) {
  for (const auto& [version, full] :
       {std::pair{"4.2", "4.2.2"}, std::pair{"4.4", "4.4.10"}, std::pair{"4.6", "4.6.5"}}) {
    EmulatorClient client({.version = version, .full_version = full});
    const Topology t = make_topology(client);
    const auto response =
        client.send(Verb::post, kVms,
                    {{"name", "vm1"}, {"cluster", t.cluster}, {"custom_fields", {{"nope", 1}}}});
    if (std::string_view(version) == "4.2") {
      ASSERT_EQ(response.code(), 400u) << response.body;
      EXPECT_EQ(body_of(response),
                (json::value{{"__all__", {"Unknown field name 'nope' in custom field data."}}}));
    } else if (std::string_view(version) == "4.4") {
      ASSERT_EQ(response.code(), 201u) << response.body;
      EXPECT_EQ(body_of(response).at("custom_fields"), json::object{});
    } else {
      ASSERT_EQ(response.code(), 400u) << response.body;
      EXPECT_EQ(
          body_of(response),
          (json::value{{"custom_fields",
                        {{"nope", "Custom field 'nope' does not exist for this object type."}}}}));
    }
  }
}

TEST(NetboxCustomFields, ValidatedByTypeMergedOnPatchAndRenderedForAll) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  client.create("/api/extras/custom-fields/",
                {{"name", "proxmox_vm_id"},
                 {"type", "integer"},
                 {"object_types", {"virtualization.virtualmachine"}}});
  client.create("/api/extras/custom-fields/",
                {{"name", "proxmox_node"},
                 {"type", "text"},
                 {"object_types", {"virtualization.virtualmachine"}}});
  auto response = client.send(
      Verb::post, kVms,
      {{"name", "vm1"}, {"cluster", t.cluster}, {"custom_fields", {{"proxmox_vm_id", "100"}}}});
  EXPECT_EQ(body_of(response).at("__all__").at(0),
            "Invalid value for custom field 'proxmox_vm_id': Value must be an integer.");
  const int64_t vm = client.create(
      kVms, {{"name", "vm1"}, {"cluster", t.cluster}, {"custom_fields", {{"proxmox_vm_id", 100}}}});
  const std::string item = std::string(kVms) + std::to_string(vm) + "/";
  EXPECT_EQ(client.get(item).at("custom_fields"),
            (json::value{{"proxmox_node", nullptr}, {"proxmox_vm_id", 100}}));
  response = client.send(Verb::patch, item, {{"custom_fields", {{"proxmox_node", "pve1"}}}});
  EXPECT_EQ(body_of(response).at("custom_fields"),
            (json::value{{"proxmox_node", "pve1"}, {"proxmox_vm_id", 100}}));
  EXPECT_EQ(client.get(std::string(kVms) + "?cf_proxmox_vm_id=100").at("count"), 1);
  const auto definition =
      client.get("/api/extras/custom-fields/?name=proxmox_vm_id").at("results").at(0);
  EXPECT_EQ(definition.at("data_type"), "integer");
}

TEST(NetboxCustomFields, NameRules) {
  EmulatorClient client;
  const auto response = client.send(Verb::post, "/api/extras/custom-fields/",
                                    {{"name", "bad__name"}, {"object_types", {"dcim.site"}}});
  EXPECT_EQ(body_of(response).at("name").at(0),
            "Double underscores are not permitted in custom field names.");
}

TEST(NetboxChoiceSets, SelectValuesAreCheckedAgainstTheSet) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t tiers = client.create(
      "/api/extras/custom-field-choice-sets/",
      {{"name", "Tiers"}, {"extra_choices", pairs({{"gold", "Gold"}, {"silver", "Silver"}})}});
  auto response = client.send(
      Verb::post, "/api/extras/custom-fields/",
      {{"name", "tier"}, {"type", "select"}, {"object_types", {"virtualization.virtualmachine"}}});
  EXPECT_EQ(body_of(response).at("choice_set").at(0),
            "Selection fields must specify a set of choices.");
  response = client.send(Verb::post, "/api/extras/custom-fields/",
                         {{"name", "tier"},
                          {"type", "integer"},
                          {"choice_set", tiers},
                          {"object_types", {"virtualization.virtualmachine"}}});
  EXPECT_EQ(body_of(response).at("choice_set").at(0),
            "Choices may be set only on selection fields.");
  const int64_t tier = client.create("/api/extras/custom-fields/",
                                     {{"name", "tier"},
                                      {"type", "select"},
                                      {"choice_set", tiers},
                                      {"object_types", {"virtualization.virtualmachine"}}});
  client.create("/api/extras/custom-fields/",
                {{"name", "tiers"},
                 {"type", "multiselect"},
                 {"choice_set", {{"name", "Tiers"}}},
                 {"object_types", {"virtualization.virtualmachine"}}});
  const auto definition = client.get("/api/extras/custom-fields/" + std::to_string(tier) + "/");
  EXPECT_EQ(definition.at("choice_set").at("name"), "Tiers");
  EXPECT_EQ(definition.at("choice_set").at("choices_count"), 2);

  client.create(kVms, {{"name", "vm1"},
                       {"cluster", t.cluster},
                       {"custom_fields", {{"tier", "gold"}, {"tiers", {"gold", "silver"}}}}});
  response = client.send(
      Verb::post, kVms,
      {{"name", "vm2"}, {"cluster", t.cluster}, {"custom_fields", {{"tier", "bronze"}}}});
  ASSERT_EQ(response.code(), 400u);
  EXPECT_EQ(body_of(response).at("__all__").at(0),
            "Invalid value for custom field 'tier': Invalid choice (bronze) for choice set Tiers.");
  response = client.send(
      Verb::post, kVms,
      {{"name", "vm2"}, {"cluster", t.cluster}, {"custom_fields", {{"tiers", {"gold", "lead"}}}}});
  EXPECT_EQ(body_of(response).at("__all__").at(0),
            "Invalid value for custom field 'tiers': Invalid choice(s) (['gold', 'lead']) for "
            "choice set Tiers.");
  EXPECT_EQ(client.get(std::string(kVms) + "?cf_tier=gold").at("count"), 1);
  EXPECT_EQ(client
                .call(Verb::delete_,
                      "/api/extras/custom-field-choice-sets/" + std::to_string(tiers) + "/")
                .code(),
            409u)
      << "a choice set used by a custom field is protected";
}

TEST(NetboxChoiceSets, AChoiceInUseCannotBeRemoved) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t tiers = client.create(
      "/api/extras/custom-field-choice-sets/",
      {{"name", "Tiers"}, {"extra_choices", pairs({{"gold", "Gold"}, {"silver", "Silver"}})}});
  client.create("/api/extras/custom-fields/",
                {{"name", "tiers"},
                 {"type", "multiselect"},
                 {"choice_set", tiers},
                 {"object_types", {"virtualization.virtualmachine"}}});
  client.create(
      kVms, {{"name", "vm1"}, {"cluster", t.cluster}, {"custom_fields", {{"tiers", {"gold"}}}}});
  const std::string set = "/api/extras/custom-field-choice-sets/" + std::to_string(tiers) + "/";
  auto response = client.send(Verb::patch, set, {{"extra_choices", pairs({{"silver", "S"}})}});
  ASSERT_EQ(response.code(), 400u) << response.body;
  EXPECT_EQ(body_of(response).at("__all__").at(0),
            "Cannot remove choice gold as there are Virtualization > Virtual Machine objects which "
            "reference it.");
  response = client.send(Verb::patch, set, {{"extra_choices", pairs({{"gold", "G"}})}});
  EXPECT_EQ(response.code(), 200u) << "silver is unused: " << response.body;
}

TEST(NetboxChoiceSets, PairsBaseOrExtraAndAlphabeticalOrder) {
  EmulatorClient client;
  const std::string sets = "/api/extras/custom-field-choice-sets/";
  auto response = client.send(Verb::post, sets,
                              {{"name", "A"}, {"extra_choices", json::array{json::array{"x"}}}});
  EXPECT_EQ(body_of(response).at("extra_choices").at(0),
            "Ensure this field has at least 2 elements.");
  response = client.send(Verb::post, sets, {{"name", "A"}, {"extra_choices", json::array{}}});
  EXPECT_EQ(body_of(response).at("__all__").at(0), "Must define base or extra choices.");
  response = client.send(Verb::post, sets, {{"name", "A"}});
  EXPECT_EQ(body_of(response).at("extra_choices").at(0), "This field is required.");
  response = client.send(
      Verb::post, sets,
      {{"name", "Countries"}, {"base_choices", "ISO_3166"}, {"extra_choices", json::array{}}});
  ASSERT_EQ(response.code(), 201u) << response.body;
  EXPECT_EQ(body_of(response).at("base_choices"),
            (json::value{{"value", "ISO_3166"}, {"label", "ISO 3166 (Country codes)"}}));
  response = client.send(Verb::post, sets,
                         {{"name", "Sorted"},
                          {"order_alphabetically", true},
                          {"extra_choices", pairs({{"b", "Bee"}, {"a", "Ay"}})}});
  ASSERT_EQ(response.code(), 201u) << response.body;
  EXPECT_EQ(body_of(response).at("extra_choices"), pairs({{"a", "Ay"}, {"b", "Bee"}}));
  EXPECT_EQ(body_of(response).at("choices_count"), 2);
}

}  // namespace
}  // namespace pbx::netbox::testing
