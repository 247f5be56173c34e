// sync_bench's --netbox-url/--netbox-token checks (sync/netbox_target.hpp).
#include "sync/netbox_target.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace pbx::sync {
namespace {

TEST(NetBoxTarget, BaseUrlsAPersonMayGive) {
  for (const char* good : {"http://127.0.0.1:8000", "https://netbox.example.com/",
                           "http://[::1]:8000/api", "https://netbox.example.com:8443/api/"}) {
    EXPECT_TRUE(check_netbox_base_url(good)) << good;
  }
}

TEST(NetBoxTarget, MalformedBaseUrlsSayWhatIsWrong) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"netbox.example.com", "not an absolute URL"},
      {"", "not an absolute URL"},
      {"http://exa mple.com", "not an absolute URL"},
      {"ftp://127.0.0.1/", "scheme 'ftp' is not http or https"},
      {"http://:8000", "no host"},
      {"http://admin:secret@127.0.0.1:8000", "user information"},
      {"http://127.0.0.1:8000/?brief=1", "a query or fragment"},
      {"http://127.0.0.1:8000/#top", "a query or fragment"},
      {"http://127.0.0.1:99999", "a port that is empty, 0 or above 65535"},
      {"http://127.0.0.1:", "a port that is empty, 0 or above 65535"},
      {"http://127.0.0.1:8000/api/dcim/", "path '/api/dcim/'"},
  };
  for (const auto& [url, problem] : cases) {
    const auto checked = check_netbox_base_url(url);
    ASSERT_FALSE(checked) << url;
    EXPECT_NE(checked.error().find(problem), std::string::npos) << url << ": " << checked.error();
  }
}

TEST(NetBoxTarget, TokensAPersonMayGive) {
  EXPECT_TRUE(check_netbox_token("0123456789abcdef0123456789abcdef01234567"));
  EXPECT_TRUE(check_netbox_token("nbt_abcdefabcdef.secret"));
  EXPECT_EQ(check_netbox_token("").error(), "empty");
  EXPECT_EQ(check_netbox_token("abc def").error(), "contains a space or control character");
  EXPECT_EQ(check_netbox_token("abc\n").error(), "contains a space or control character");
  // NetBox refuses a v2 token without the dot between key and secret (403 "Invalid v2 token").
  EXPECT_NE(check_netbox_token("nbt_abcdefabcdef").error().find("nbt_<key>.<secret>"),
            std::string::npos);
}

}  // namespace
}  // namespace pbx::sync
