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
    EXPECT_EQ(netbox_base_url_problem(good), "") << good;
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
    EXPECT_NE(netbox_base_url_problem(url).find(problem), std::string::npos)
        << url << ": " << netbox_base_url_problem(url);
  }
}

TEST(NetBoxTarget, TokensAPersonMayGive) {
  EXPECT_EQ(netbox_token_problem("0123456789abcdef0123456789abcdef01234567"), "");
  EXPECT_EQ(netbox_token_problem("nbt_abcdefabcdef.secret"), "");
  EXPECT_EQ(netbox_token_problem(""), "empty");
  EXPECT_EQ(netbox_token_problem("abc def"), "contains a space or control character");
  EXPECT_EQ(netbox_token_problem("abc\n"), "contains a space or control character");
  // NetBox refuses a v2 token without the dot between key and secret (403 "Invalid v2 token").
  EXPECT_NE(netbox_token_problem("nbt_abcdefabcdef").find("nbt_<key>.<secret>"), std::string::npos);
}

}  // namespace
}  // namespace pbx::sync
