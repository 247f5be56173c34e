#include "api/plugin_events.hpp"

#include <gtest/gtest.h>

namespace pbx::api {
namespace {
namespace json = boost::json;

sync::SyncSummary summary_with_errors(std::vector<std::string> errors) {
  sync::SyncSummary summary;
  summary.scope = "full";
  summary.kinds["virtual_machines"].created = 2;
  summary.kinds["virtual_machines"].errors = errors.size();
  summary.errors = std::move(errors);
  return summary;
}

TEST(PluginEvents, CompleteListsErrorsAsObjectsAndAStageWithRefusedObjectsStillSucceeds) {
  const PluginEventTranslator translator("virtual-machines");
  const SseFrame frame =
      translator.complete_for(summary_with_errors({"qemu/101: NetBox refused the name"}));
  EXPECT_EQ(frame.event, "complete");
  EXPECT_EQ(frame.data.at("ok"), true);
  const auto& errors = frame.data.at("errors").as_array();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].at("detail"), "qemu/101: NetBox refused the name");
  EXPECT_EQ(frame.data.at("result").at("stage"), "virtual-machines");
}

TEST(PluginEvents, ACancelledOrTimedOutRunFailsItsStage) {
  const PluginEventTranslator translator("devices");
  sync::SyncSummary cancelled = summary_with_errors({});
  cancelled.cancelled = true;
  EXPECT_EQ(translator.complete_for(cancelled).data.at("ok"), false);

  sync::SyncSummary timed_out = summary_with_errors({"the run's deadline ended it"});
  timed_out.timed_out = true;
  const SseFrame frame = translator.complete_for(timed_out);
  EXPECT_EQ(frame.data.at("ok"), false);
  EXPECT_NE(std::string(frame.data.at("message").as_string()).find("out of time"),
            std::string::npos);
}

TEST(PluginEvents, AnUnreadableProxmoxEndpointFailsTheStage) {
  const PluginEventTranslator translator("devices");
  sync::SyncSummary summary = summary_with_errors({"pve1: connection refused"});
  summary.kinds["proxmox"].errors = 1;
  EXPECT_EQ(translator.complete_for(summary).data.at("ok"), false);
}

}  // namespace
}  // namespace pbx::api
