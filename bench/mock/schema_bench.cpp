// Cost of the schema-driven half of proxmox-mock: loading a schema at start-up, and the per-request
// work (route lookup, parameter validation, generated answers, OpenAPI document).
#include <benchmark/benchmark.h>

#include <boost/json/serialize.hpp>
#include <filesystem>

#include "proxmox/api_schema.hpp"
#include "proxmox/openapi.hpp"
#include "proxmox/parameter_validation.hpp"
#include "proxmox/sample_data.hpp"

namespace {

using namespace pbx::proxmox;
using pbx::http::Verb;

std::filesystem::path schema_file(const char* name) {
  return std::filesystem::path(PBX_SHARED_DIR) / "schemas" / "proxmox" / name;
}

const ApiSchema& pve() {
  static const ApiSchema schema = ApiSchema::load(schema_file("pve-latest.json"));
  return schema;
}

void BM_LoadPveLatest(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(ApiSchema::load(schema_file("pve-latest.json")).operation_count());
  state.SetLabel("pve-latest.json, 649 operations");
}
BENCHMARK(BM_LoadPveLatest)->Unit(benchmark::kMillisecond);

void BM_LoadPbsLatest(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(ApiSchema::load(schema_file("pbs-latest.json")).operation_count());
}
BENCHMARK(BM_LoadPbsLatest)->Unit(benchmark::kMillisecond);

void BM_FindOperation(benchmark::State& state) {
  pbx::http::Params params;
  for (auto _ : state) {
    params.clear();
    benchmark::DoNotOptimize(pve().find(Verb::get, "/nodes/pve1/qemu/100/status/current", params));
  }
}
BENCHMARK(BM_FindOperation);

void BM_ValidateCreateVmForm(benchmark::State& state) {
  auto request = pbx::http::Request::make(
      Verb::post, "/nodes/pve1/qemu",
      "vmid=100&name=web&memory=2048&cores=2&net0=virtio%2Cbridge%3Dvmbr0&scsi0=local-lvm%3A8");
  request.headers.set(pbx::http::Field::content_type, "application/x-www-form-urlencoded");
  const auto lookup = pve().find(request.method, request.path, request.path_params);
  for (auto _ : state)
    benchmark::DoNotOptimize(validate_request(*lookup.operation, request));
}
BENCHMARK(BM_ValidateCreateVmForm);

void BM_ValidateListQuery(benchmark::State& state) {
  auto request = pbx::http::Request::make(Verb::get, "/cluster/resources?type=vm");
  const auto lookup = pve().find(request.method, request.path, request.path_params);
  for (auto _ : state)
    benchmark::DoNotOptimize(validate_request(*lookup.operation, request));
}
BENCHMARK(BM_ValidateListQuery);

void BM_SampleClusterResources(benchmark::State& state) {
  const auto* op = pve().operation(Verb::get, "/cluster/resources");
  uint64_t seed = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(boost::json::serialize(sample_returns(*op, {}, ++seed)));
}
BENCHMARK(BM_SampleClusterResources);

void BM_BuildOpenApiPve(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(boost::json::serialize(build_openapi(pve(), Service::pve, {})).size());
}
BENCHMARK(BM_BuildOpenApiPve)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
