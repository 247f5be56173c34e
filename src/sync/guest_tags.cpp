#include "sync/guest_tags.hpp"

#include <set>

#include "common/text.hpp"

namespace pbx::sync {
namespace json = boost::json;

std::vector<std::string> split_proxmox_list(std::string_view text) {
  return common::split_list(text, " ,;\t");
}

std::string guest_tag_slug(std::string_view tag) {
  return slugify(tag);
}

std::string netbox_description(std::string_view text) {
  constexpr size_t kLimit = 200;
  if (text.size() <= kLimit) return std::string(text);
  size_t end = kLimit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;  // text[end] continues a character: cut before that character
  return std::string(text.substr(0, end));
}

std::vector<DesiredObject> desired_guest_tags(const std::vector<EndpointSnapshot>& endpoints) {
  std::vector<DesiredObject> tags;
  std::set<std::string> seen;
  for (const auto& endpoint : endpoints) {
    for (const auto& guest : endpoint.snapshot.guests) {
      for (const auto& tag : guest.tags) {
        const std::string slug = guest_tag_slug(tag);
        if (slug.empty() || slug == kTagSlug || !seen.insert(slug).second) continue;
        tags.push_back({slug, json::object{{"name", tag.substr(0, 100)}, {"slug", slug}}});
      }
    }
  }
  return tags;
}

}  // namespace pbx::sync
