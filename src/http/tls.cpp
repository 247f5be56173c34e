#include "http/tls.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace pbx::http {
namespace {

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using CertPtr = std::unique_ptr<X509, CertDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(std::string("TLS certificate generation failed: ") + what);
}

void check(int ok, const char* what) {
  if (ok != 1) fail(what);
}

KeyPtr generate_key() {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail("EC key generation");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr) fail("certificate extension");
  const int added = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  check(added, "adding an extension");
}

std::string subject_alt_names(const std::vector<std::string>& hosts) {
  std::string names;
  for (const auto& host : hosts) {
    boost::system::error_code error;
    boost::asio::ip::make_address(host, error);
    if (!names.empty()) names += ',';
    names += (error ? "DNS:" : "IP:") + host;
  }
  return names;
}

// A certificate for `subject_key`, signed by `issuer_key` (and named after `issuer`, or
// self-issued when `issuer` is null).
CertPtr make_certificate(EVP_PKEY* subject_key, const std::string& common_name, X509* issuer,
                         EVP_PKEY* issuer_key, bool is_authority,
                         const std::vector<std::string>& hosts) {
  CertPtr cert(X509_new());
  if (!cert) fail("X509_new");
  check(X509_set_version(cert.get(), 2), "version");
  unsigned char serial_bytes[16];
  check(RAND_bytes(serial_bytes, sizeof serial_bytes), "serial");
  serial_bytes[0] &= 0x7F;  // positive
  BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  if (serial == nullptr) fail("serial");
  ASN1_INTEGER* asn1_serial = BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()));
  BN_free(serial);
  if (asn1_serial == nullptr) fail("serial");
  // Backdated an hour so a clock that is slightly behind still accepts it.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * (is_authority ? 3650 : 825));
  check(X509_set_pubkey(cert.get(), subject_key), "public key");

  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("proxbox"), -1, -1, 0),
        "subject");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0),
        "subject");
  X509* signer = issuer != nullptr ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)), "issuer");

  if (is_authority) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    if (!hosts.empty()) {
      add_extension(cert.get(), signer, NID_subject_alt_name, subject_alt_names(hosts));
    }
  }
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) fail("signing");
  return cert;
}

std::string to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert), "PEM encoding");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        "PEM encoding");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

CertPtr parse_certificate(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) fail("parsing the authority certificate");
  return cert;
}

KeyPtr parse_key(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) fail("parsing the authority key");
  return key;
}

void write_file(const std::filesystem::path& path, const std::string& content, mode_t mode) {
  // Created afresh with its final mode, so a key is never readable by others, not even briefly.
  std::filesystem::remove(path);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "create " + path.string());
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      throw std::system_error(error, std::generic_category(), "write " + path.string());
    }
    written += static_cast<size_t>(n);
  }
  ::fchmod(fd, mode);  // the umask may have narrowed the certificate's mode
  ::close(fd);
}

}  // namespace

CertificateBundle generate_self_signed(const std::vector<std::string>& hosts) {
  const KeyPtr key = generate_key();
  const std::string common_name = hosts.empty() ? "localhost" : hosts.front();
  const CertPtr cert = make_certificate(key.get(), common_name, nullptr, key.get(), false, hosts);
  return {to_pem(cert.get()), to_pem(key.get())};
}

CertificateAuthority CertificateAuthority::generate(std::string common_name) {
  const KeyPtr key = generate_key();
  const CertPtr cert = make_certificate(key.get(), common_name, nullptr, key.get(), true, {});
  return CertificateAuthority({to_pem(cert.get()), to_pem(key.get())});
}

CertificateBundle CertificateAuthority::issue(const std::vector<std::string>& hosts) const {
  const CertPtr authority = parse_certificate(root_.certificate_pem);
  const KeyPtr authority_key = parse_key(root_.private_key_pem);
  const KeyPtr key = generate_key();
  const std::string common_name = hosts.empty() ? "localhost" : hosts.front();
  const CertPtr cert =
      make_certificate(key.get(), common_name, authority.get(), authority_key.get(), false, hosts);
  return {to_pem(cert.get()), to_pem(key.get())};
}

void write_bundle(const CertificateBundle& bundle, const std::filesystem::path& certificate_file,
                  const std::filesystem::path& private_key_file) {
  write_file(certificate_file, bundle.certificate_pem, 0644);
  write_file(private_key_file, bundle.private_key_pem, 0600);
}

}  // namespace pbx::http
