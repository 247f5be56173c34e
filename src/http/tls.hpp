#pragma once
// X.509 material for TLS listeners and tests: a self-signed certificate for a server that has
// none configured, and a small certificate authority for the E2E runner whose root curl, Python
// and our client can trust. Keys are ECDSA P-256 (fast to generate, accepted everywhere).

#include <filesystem>
#include <string>
#include <vector>

namespace pbx::http {

struct CertificateBundle {
  std::string certificate_pem;
  std::string private_key_pem;
};

// A leaf certificate signed by its own key. `hosts` become subjectAltNames: IP literals
// ("127.0.0.1", "::1") as IP entries, anything else as DNS entries; the first host is the CN.
// Throws std::runtime_error when OpenSSL fails.
CertificateBundle generate_self_signed(const std::vector<std::string>& hosts);

class CertificateAuthority {
 public:
  static CertificateAuthority generate(std::string common_name);

  // The root certificate (what clients trust) and its key.
  const CertificateBundle& root() const { return root_; }
  // A server certificate for `hosts`, signed by this authority.
  CertificateBundle issue(const std::vector<std::string>& hosts) const;

 private:
  explicit CertificateAuthority(CertificateBundle root) : root_(std::move(root)) {}
  CertificateBundle root_;
};

// Writes the certificate (0644) and the key (0600) to the given files, replacing them.
void write_bundle(const CertificateBundle& bundle, const std::filesystem::path& certificate_file,
                  const std::filesystem::path& private_key_file);

}  // namespace pbx::http
