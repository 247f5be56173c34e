#pragma once
// Schema `pattern`s: Proxmox writes Perl regexes (PBS wraps them in /.../). Translated once to
// RE2's syntax and cached process-wide, keyed by the schema's text, so a request never compiles
// a regex. RE2 matches in linear time without recursion: a client's value cannot make a match
// hang or overflow the stack, whatever the pattern nests.

#include <string>
#include <string_view>

namespace pbx::proxmox::validation {

// The RE2 spelling of a Perl pattern, anchored as a group; empty when RE2 cannot express it.
// Sets `icase` when the pattern asks for case-insensitive matching.
std::string translate_pattern(std::string_view perl, bool& icase);

// Whether `text` matches `pattern` as a whole. A pattern RE2 cannot express is not checked
// (true); a text longer than the matcher's bound never matches.
bool matches(std::string_view pattern, std::string_view text);

}  // namespace pbx::proxmox::validation
