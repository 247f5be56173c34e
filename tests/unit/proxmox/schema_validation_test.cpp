#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "proxmox/api_schema.hpp"
#include "proxmox/parameter_validation.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using http::Verb;

const ApiSchema& schema_for(const char* file) {
  static std::map<std::string, ApiSchema> loaded;
  auto it = loaded.find(file);
  if (it == loaded.end()) {
    it = loaded
             .emplace(file, ApiSchema::load(std::filesystem::path(PBX_SHARED_DIR) / "schemas" /
                                            "proxmox" / file))
             .first;
  }
  return it->second;
}

using Outcome = common::Result<ValidatedParams, ValidationErrors>;

Outcome run(Verb method, std::string_view target, std::string body = {},
            std::string_view content_type = "application/x-www-form-urlencoded",
            const char* file = "pve-latest.json") {
  auto request = http::Request::make(method, target, std::move(body));
  if (!request.body.empty() && !content_type.empty())
    request.headers.set(http::Field::content_type, content_type);
  const auto lookup = schema_for(file).find(method, request.path, request.path_params);
  if (!lookup.operation) throw std::logic_error("no operation for " + std::string(target));
  return validate_request(*lookup.operation, request);
}

json::object accepted(const Outcome& outcome) {
  if (!outcome) {
    std::string all;
    for (const auto& [name, message] : outcome.error().errors)
      all += name + ": " + message + "; ";
    ADD_FAILURE() << "rejected: " << all;
    return {};
  }
  return outcome->values;
}

std::map<std::string, std::string> rejected(const Outcome& outcome) {
  if (outcome) {
    ADD_FAILURE() << "accepted: " << json::serialize(outcome->values);
    return {};
  }
  return outcome.error().errors;
}

TEST(ValidationTest, QueryBooleanConvertsEveryProxmoxSpelling) {
  for (const char* yes : {"1", "true", "yes", "on", "TRUE"}) {
    const auto values = accepted(run(Verb::get, std::string("/nodes/pve1/qemu?full=") + yes));
    EXPECT_EQ(values.at("full"), json::value(true)) << yes;
    EXPECT_EQ(values.at("node"), json::value("pve1"));
  }
  for (const char* no : {"0", "false", "no", "off"})
    EXPECT_EQ(accepted(run(Verb::get, std::string("/nodes/pve1/qemu?full=") + no)).at("full"),
              json::value(false));
  EXPECT_EQ(rejected(run(Verb::get, "/nodes/pve1/qemu?full=maybe")).at("full"),
            "type check ('boolean') failed - got 'maybe'");
}

TEST(ValidationTest, FormBodyIsConvertedToSchemaTypes) {
  const auto values = accepted(run(Verb::post, "/nodes/pve1/qemu",
                                   "vmid=100&name=web&memory=2048&cores=2&cpulimit=1.5"
                                   "&net0=virtio%3DBC%3A24%3A11%3A00%3A00%3A01%2Cbridge%3Dvmbr0"));
  EXPECT_EQ(values.at("vmid"), json::value(100));
  EXPECT_EQ(values.at("cores"), json::value(2));
  EXPECT_EQ(values.at("cpulimit"), json::value(1.5));
  EXPECT_EQ(values.at("memory"), json::value("2048"));  // a property string in PVE 9
  EXPECT_EQ(values.at("net0"), json::value("virtio=BC:24:11:00:00:01,bridge=vmbr0"));
}

TEST(ValidationTest, JsonBodyAcceptsNativeTypes) {
  const auto values =
      accepted(run(Verb::post, "/nodes/pve1/qemu",
                   R"({"vmid": 101, "cores": "4", "onboot": true, "name": "db", "net1": "virtio"})",
                   "application/json"));
  EXPECT_EQ(values.at("vmid"), json::value(101));
  EXPECT_EQ(values.at("cores"), json::value(4));
  EXPECT_EQ(values.at("onboot"), json::value(true));
  EXPECT_EQ(rejected(run(Verb::post, "/nodes/pve1/qemu", R"({"vmid": true})", "application/json"))
                .at("vmid"),
            "type check ('integer') failed - got 'true'");
}

TEST(ValidationTest, MissingRequiredParameter) {
  EXPECT_EQ(rejected(run(Verb::post, "/nodes/pve1/qemu", "name=x")).at("vmid"),
            "property is missing and it is not optional");
}

TEST(ValidationTest, IntegerTypeAndRange) {
  EXPECT_EQ(rejected(run(Verb::post, "/nodes/pve1/qemu", "vmid=99")).at("vmid"),
            "value must have a minimum value of 100");
  EXPECT_EQ(rejected(run(Verb::post, "/nodes/pve1/qemu", "vmid=1000000000")).at("vmid"),
            "value must have a maximum value of 999999999");
  EXPECT_EQ(rejected(run(Verb::post, "/nodes/pve1/qemu", "vmid=abc")).at("vmid"),
            "type check ('integer') failed - got 'abc'");
  EXPECT_EQ(rejected(run(Verb::get, "/nodes/pve1/qemu/abc/status/current")).at("vmid"),
            "type check ('integer') failed - got 'abc'");
  EXPECT_EQ(rejected(run(Verb::post, "/nodes/pve1/qemu", "vmid=100&cpulimit=200")).at("cpulimit"),
            "value must have a maximum value of 128");
  EXPECT_EQ(rejected(run(Verb::post, "/nodes/pve1/qemu", "vmid=100&cpulimit=x")).at("cpulimit"),
            "type check ('number') failed - got 'x'");
}

TEST(ValidationTest, UnknownParametersAreRejected) {
  EXPECT_EQ(rejected(run(Verb::get, "/nodes/pve1/qemu?bogus=1")).at("bogus"),
            "property is not defined in schema and the schema does not allow additional "
            "properties");
}

TEST(ValidationTest, IndexedParametersFollowPveLimits) {
  EXPECT_TRUE(accepted(run(Verb::post, "/nodes/pve1/qemu",
                           "vmid=100&net31=virtio&scsi30=local-"
                           "lvm%3A8&ide3=none"))
                  .contains("net31"));
  EXPECT_TRUE(
      rejected(run(Verb::post, "/nodes/pve1/qemu", "vmid=100&net32=virtio")).contains("net32"));
  EXPECT_TRUE(
      rejected(run(Verb::post, "/nodes/pve1/qemu", "vmid=100&net01=virtio")).contains("net01"));
  EXPECT_TRUE(rejected(run(Verb::post, "/nodes/pve1/qemu", "vmid=100&ide4=none")).contains("ide4"));
}

TEST(ValidationTest, PropertyStringFormats) {
  EXPECT_EQ(
      rejected(run(Verb::post, "/nodes/pve1/qemu", "vmid=100&net0=virtio%2Cbogus%3D1")).at("net0"),
      "invalid format - invalid key in comma-separated list property: bogus");
  EXPECT_NE(rejected(run(Verb::post, "/nodes/pve1/qemu", "vmid=100&net0=notamodel"))
                .at("net0")
                .find("does not have a value in the enumeration"),
            std::string::npos);
  EXPECT_NE(rejected(run(Verb::post, "/nodes/pve1/qemu", "vmid=100&net0=virtio%3Dzz"))
                .at("net0")
                .find("macaddr"),
            std::string::npos);
}

TEST(ValidationTest, EnumMessageListsTheChoices) {
  EXPECT_EQ(accepted(run(Verb::get, "/cluster/resources?type=vm")).at("type"), json::value("vm"));
  EXPECT_EQ(rejected(run(Verb::get, "/cluster/resources?type=bogus")).at("type"),
            "value 'bogus' does not have a value in the enumeration 'vm, storage, node, sdn'");
}

TEST(ValidationTest, NamedFormats) {
  EXPECT_EQ(rejected(run(Verb::get, "/nodes/bad_node!/qemu")).at("node"),
            "value does not look like a valid node name");
  EXPECT_EQ(rejected(run(Verb::get, "/nodes/pve1/storage/1bad!/status")).at("storage"),
            "storage ID '1bad!' contains illegal characters");
  EXPECT_TRUE(accepted(run(Verb::post, "/nodes/pve1/startall", "vms=100,101;102")).contains("vms"));
  EXPECT_EQ(rejected(run(Verb::post, "/nodes/pve1/startall", "vms=100,abc")).at("vms"),
            "value does not look like a valid VM ID");
}

TEST(ValidationTest, PbsPatternsAndLengths) {
  const char* pbs = "pbs-latest.json";
  EXPECT_TRUE(accepted(run(Verb::get, "/admin/datastore/store1/snapshots?backup-id=vm-100&ns=a/b",
                           {}, {}, pbs))
                  .contains("backup-id"));
  EXPECT_EQ(
      rejected(run(Verb::get, "/admin/datastore/store1/snapshots?backup-id=bad%20id", {}, {}, pbs))
          .at("backup-id"),
      "value does not match the regex pattern");
  EXPECT_EQ(rejected(run(Verb::get, "/admin/datastore/ab/snapshots", {}, {}, pbs)).at("store"),
            "value must be at least 3 characters long");
  EXPECT_EQ(rejected(run(Verb::get, "/admin/datastore/" + std::string(33, 's') + "/snapshots", {},
                         {}, pbs))
                .at("store"),
            "value may only be 32 characters long");
  EXPECT_EQ(
      rejected(run(Verb::get, "/admin/datastore/store1/snapshots?backup-type=vmx", {}, {}, pbs))
          .at("backup-type"),
      "value 'vmx' does not have a value in the enumeration 'vm, ct, host'");
}

TEST(ValidationTest, RepeatedNamesFillArrays) {
  const auto values =
      accepted(run(Verb::post, "/nodes/pve1/qemu/100/agent/exec", "command=ls&command=-l"));
  EXPECT_EQ(values.at("command"), (json::array{"ls", "-l"}));
  const auto from_json = accepted(run(Verb::post, "/nodes/pve1/qemu/100/agent/exec",
                                      R"({"command": ["uname", "-a"]})", "application/json"));
  EXPECT_EQ(from_json.at("command"), (json::array{"uname", "-a"}));
  // A scalar parameter given twice is joined like pveproxy does and then fails its type.
  EXPECT_TRUE(rejected(run(Verb::post, "/nodes/pve1/qemu", "vmid=100&vmid=101")).contains("vmid"));
}

TEST(ValidationTest, PathParametersWinOverQuery) {
  EXPECT_EQ(accepted(run(Verb::get, "/nodes/pve1/qemu?node=pve2")).at("node"), json::value("pve1"));
}

TEST(ValidationTest, BadBodiesAreErrorsNotExceptions) {
  EXPECT_TRUE(rejected(run(Verb::post, "/nodes/pve1/qemu", "{\"vmid\": 1", "application/json"))
                  .contains("body"));
  EXPECT_TRUE(
      rejected(run(Verb::post, "/nodes/pve1/qemu", "[1,2]", "application/json")).contains("body"));
  EXPECT_TRUE(
      rejected(run(Verb::post, "/nodes/pve1/qemu", "vmid=100&name=%FF%FE")).contains("name"));
  EXPECT_TRUE(rejected(run(Verb::post, "/nodes/pve1/qemu", "vmid=100", "multipart/form-data"))
                  .contains("body"));
  EXPECT_EQ(rejected(run(Verb::post, "/nodes/pve1/qemu",
                         "vmid=100&description=" + std::string(9000, 'x')))
                .at("description"),
            "value may only be 8192 characters long");
  // A long value against a pattern must not exhaust the regex engine's stack.
  EXPECT_EQ(rejected(run(Verb::get,
                         "/admin/datastore/store1/snapshots?backup-id=" + std::string(100000, 'a'),
                         {}, {}, "pbs-latest.json"))
                .at("backup-id"),
            "value may only be 65536 characters long");
  EXPECT_EQ(rejected(run(Verb::get,
                         "/admin/datastore/store1/snapshots?backup-id=" + std::string(5000, 'a'),
                         {}, {}, "pbs-latest.json"))
                .at("backup-id"),
            "value does not match the regex pattern");
}

TEST(ValidationTest, ErrorBodyHasProxmoxShape) {
  ValidationErrors errors;
  errors.errors["vmid"] = "property is missing and it is not optional";
  EXPECT_EQ(json::serialize(error_body(errors)),
            R"({"data":null,"errors":{"vmid":"property is missing and it is not optional"}})");
  EXPECT_EQ(errors.reason, "Parameter verification failed.");
}

TEST(ValidateValueTest, ReportsNestedLocations) {
  const auto schema = json::parse(R"({"type": "array", "items": {"type": "object", "properties": {
      "vmid": {"type": "integer", "minimum": 100},
      "name": {"type": "string", "optional": 1},
      "running": {"type": "boolean"}}}})");
  // The problem validate_value reports; "" when the value is valid.
  const auto problem = [&](const char* value, std::string_view location = {}) -> std::string {
    const auto checked = validate_value(schema, json::parse(value), location);
    return checked ? "" : checked.error();
  };
  EXPECT_EQ(problem(R"([{"vmid": 100, "running": 1}])"), "");
  EXPECT_EQ(problem(R"([{"vmid": 100, "running": true, "name": "x"}])"), "");
  EXPECT_EQ(problem(R"([{"vmid": 100, "running": 1}, {"vmid": 5, "running": 0}])", "data"),
            "data[1].vmid: value must have a minimum value of 100");
  EXPECT_EQ(problem(R"([{"running": 1}])"), "[0].vmid: property is missing and it is not optional");
  EXPECT_EQ(problem(R"({"vmid": 100})"), "type check ('array') failed - got '{\"vmid\":100}'");
}

}  // namespace
}  // namespace pbx::proxmox

namespace pbx::proxmox {
namespace {

TEST(ValidationTest, NestedQuantifierPatternsStayFast) {
  // The OCI reference pattern nests quantifiers; a backtracking matcher needs minutes here (the
  // CTest timeout catches that; how fast a match is belongs to bench/, not to an assertion).
  const auto errors = rejected(
      run(Verb::get, "/nodes/pve1/query-oci-repo-tags?reference=" + std::string(64, 'a') + "%21"));
  EXPECT_EQ(errors.at("reference"), "value does not match the regex pattern");
  EXPECT_TRUE(accepted(run(Verb::get,
                           "/nodes/pve1/query-oci-repo-tags?reference=docker.io/"
                           "library/debian"))
                  .contains("reference"));
}

}  // namespace
}  // namespace pbx::proxmox

namespace pbx::proxmox {
namespace {

// What proxmoxer / proxmox-api users typically send when creating guests: all must pass.
TEST(ValidationTest, TypicalClientCreateRequestsAreAccepted) {
  const auto qemu = accepted(run(Verb::post, "/nodes/pve1/qemu",
                                 http::encode_form({{"vmid", "150"},
                                                    {"name", "web-01"},
                                                    {"memory", "2048"},
                                                    {"cores", "2"},
                                                    {"sockets", "1"},
                                                    {"cpu", "host"},
                                                    {"ostype", "l26"},
                                                    {"scsihw", "virtio-scsi-pci"},
                                                    {"scsi0", "local-lvm:32,discard=on,ssd=1"},
                                                    {"ide2", "local:iso/debian-12.iso,media=cdrom"},
                                                    {"boot", "order=scsi0;ide2;net0"},
                                                    {"net0", "virtio,bridge=vmbr0,firewall=1"},
                                                    {"agent", "enabled=1"},
                                                    {"tags", "prod;web"},
                                                    {"onboot", "1"},
                                                    {"start", "0"},
                                                    {"description", "created by a test"}})));
  EXPECT_EQ(qemu.at("vmid"), json::value(150));
  EXPECT_EQ(qemu.at("onboot"), json::value(true));

  const auto lxc = accepted(run(Verb::post, "/nodes/pve1/lxc",
                                R"({"vmid": 200, "hostname": "ct-01", "ostemplate":
          "local:vztmpl/debian-12-standard_12.2-1_amd64.tar.zst", "rootfs": "local-lvm:8",
          "memory": 512, "swap": 512, "cores": 1, "unprivileged": true,
          "features": "nesting=1", "password": "secret123",
          "net0": "name=eth0,bridge=vmbr0,ip=dhcp,ip6=auto"})",
                                "application/json"));
  EXPECT_EQ(lxc.at("unprivileged"), json::value(true));

  EXPECT_TRUE(accepted(run(Verb::put, "/nodes/pve1/qemu/150/config",
                           "delete=ide2,net1&memory=4096&digest=0123456789abcdef"))
                  .contains("delete"));
  EXPECT_TRUE(accepted(run(Verb::post, "/nodes/pve1/qemu/150/snapshot",
                           "snapname=before_upgrade&description=x&vmstate=0"))
                  .contains("snapname"));
  EXPECT_TRUE(accepted(run(Verb::post, "/access/ticket", "username=root%40pam&password=proxmox"))
                  .contains("username"));
  EXPECT_TRUE(accepted(run(Verb::get, "/nodes/pve1/storage/local/content?content=backup&vmid=150"))
                  .contains("vmid"));
}

}  // namespace
}  // namespace pbx::proxmox
