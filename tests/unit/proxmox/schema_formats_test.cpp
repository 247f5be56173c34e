#include "proxmox/schema_formats.hpp"

#include <gtest/gtest.h>

namespace pbx::proxmox::validation {
namespace {

std::string problem(std::string_view format, std::string_view value) {
  const auto checked = check_named_format(format, value);
  return checked ? std::string() : checked.error();
}

TEST(SchemaFormatsTest, PatternFormatsWithPveproxysMessages) {
  EXPECT_EQ(problem("pve-vmid", "100"), "");
  EXPECT_EQ(problem("pve-vmid", "99"), "value does not look like a valid VM ID");
  EXPECT_EQ(problem("pve-storage-id", "1bad!"), "storage ID '1bad!' contains illegal characters");
  EXPECT_EQ(problem("mac-addr", "BC:24:11:00:00:01"), "");
  EXPECT_EQ(problem("mac-addr", "01:00:5e:00:00:01"),
            "value does not look like a valid unicast MAC address");
}

TEST(SchemaFormatsTest, AddressFormats) {
  EXPECT_EQ(problem("ipv4", "10.0.0.1"), "");
  EXPECT_NE(problem("ipv4", "10.0.0.256"), "");
  EXPECT_EQ(problem("CIDR", "fd00::/64"), "");
  EXPECT_EQ(problem("CIDR", "10.0.0.1"), "value does not look like a valid CIDR network");
  EXPECT_EQ(problem("IPorCIDR", "10.0.0.1"), "");
  EXPECT_EQ(problem("IPorCIDRorAlias", "dc/office"), "");
  EXPECT_EQ(problem("address", "pve1.example.com"), "");
  EXPECT_NE(problem("address", "-bad-.example"), "");
}

TEST(SchemaFormatsTest, ListFormatsCheckEveryItem) {
  EXPECT_EQ(problem("pve-vmid-list", "100,101;102 103"), "");
  EXPECT_EQ(problem("pve-vmid-list", "100,abc"), "value does not look like a valid VM ID");
  EXPECT_EQ(problem("unknown-format", "anything"), "");  // accepted, as a lenient server would
}

}  // namespace
}  // namespace pbx::proxmox::validation
