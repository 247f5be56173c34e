#include "http/server.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <future>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "common/files.hpp"
#include "http/server_core.hpp"
#include "http/tls.hpp"

namespace pbx::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using detail::Clock;
using detail::ServerCore;
using tcp = net::ip::tcp;

namespace {

std::shared_ptr<spdlog::logger> logger_named(const std::string& name) {
  if (auto existing = spdlog::get(name)) return existing;
  const auto& sinks = spdlog::default_logger()->sinks();
  auto logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
  spdlog::initialize_logger(logger);
  return logger;
}

// The TLS context every https listener shares: the configured certificate and key, or a fresh
// self-signed pair.
void configure_tls(ServerCore& core) {
  std::string key_pem;
  const auto& tls = core.options.tls;
  if (tls.certificate_file.empty() != tls.private_key_file.empty()) {
    throw std::invalid_argument("TLS needs both a certificate and a private key file");
  }
  if (tls.certificate_file.empty()) {
    auto bundle = generate_self_signed({"localhost", "127.0.0.1", "::1"});
    core.certificate_pem = std::move(bundle.certificate_pem);
    key_pem = std::move(bundle.private_key_pem);
  } else {
    core.certificate_pem = common::read_file(tls.certificate_file);
    key_pem = common::read_file(tls.private_key_file);
  }
  core.tls_context.emplace(net::ssl::context::tls_server);
  auto& context = *core.tls_context;
  context.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                      net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                      net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  context.use_certificate_chain(net::buffer(core.certificate_pem));
  context.use_private_key(net::buffer(key_pem), net::ssl::context::pem);
}

// Binds one listener ("::" takes IPv4 too) and records its endpoint (the port it got).
void open_acceptor(ServerCore& core, const ListenAddress& listen) {
  net::ip::address address;
  if (listen.host.empty()) {
    address = net::ip::address_v4::any();
  } else {
    beast::error_code error;
    address = net::ip::make_address(listen.host, error);
    if (error) {
      tcp::resolver resolver(core.acceptor_context());
      const auto results = resolver.resolve(listen.host, std::to_string(listen.port));
      address = results.begin()->endpoint().address();
    }
  }
  const tcp::endpoint endpoint(address, listen.port);
  auto acceptor = std::make_unique<tcp::acceptor>(core.acceptor_context());
  try {
    acceptor->open(endpoint.protocol());
    acceptor->set_option(net::socket_base::reuse_address(true));
    if (address.is_v6() && address.to_v6().is_unspecified()) {
      acceptor->set_option(net::ip::v6_only(false));  // "::" takes IPv4 too
    }
    acceptor->bind(endpoint);
    acceptor->listen(net::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& error) {
    throw std::system_error(error.code(), "cannot listen on " + listen.to_string());
  }
  core.endpoints.push_back({address.to_string(), acceptor->local_endpoint().port(), listen.tls});
  core.acceptors.push_back(std::move(acceptor));
}

}  // namespace

struct Server::Impl {
  std::unique_ptr<ServerCore> core;
  bool start_called = false;
  bool running = false;  // threads up: stop() has something to wind down
  bool stopped = false;

  void accept(size_t index) {
    tcp::acceptor& acceptor = *core->acceptors[index];
    acceptor.async_accept(core->next_connection_executor(),
                          [this, index](beast::error_code error, tcp::socket socket) {
                            if (error == net::error::operation_aborted || core->stopping) return;
                            if (!error)
                              on_accept(index, std::move(socket));
                            else
                              core->logger->warn("accept failed: {}", error.message());
                            accept(index);
                          });
  }

  void on_accept(size_t index, tcp::socket socket) {
    {
      std::lock_guard lock(core->sessions_mutex);
      if (core->connection_count >= core->options.limits.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);  // refused: beyond max_connections
        return;
      }
      ++core->connection_count;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    detail::start_session(*core, std::move(socket), core->endpoints[index]);
  }
};

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  unsigned threads = options.io_threads != 0 ? options.io_threads
                                             : std::max(1U, std::thread::hardware_concurrency());
  impl_->core = std::make_unique<ServerCore>(std::move(options), std::move(handler), threads);
  impl_->core->options.io_threads = threads;
}

Server::~Server() {
  stop();
}

void Server::start() {
  ServerCore& core = *impl_->core;
  if (impl_->start_called) throw std::logic_error("Server::start called twice");
  impl_->start_called = true;
  core.logger = logger_named(core.options.name);
  core.access_log = core.options.access_log;
  if (core.options.listen.empty()) throw std::invalid_argument("server has no listen address");

  const bool any_tls = std::any_of(core.options.listen.begin(), core.options.listen.end(),
                                   [](const ListenAddress& a) { return a.tls; });
  if (any_tls) configure_tls(core);
  for (const auto& listen : core.options.listen)
    open_acceptor(core, listen);

  if (core.options.handler_threads > 0) {
    core.handler_pool = std::make_unique<net::thread_pool>(core.options.handler_threads);
  }
  std::vector<net::io_context*> run_contexts{core.accept_context.get()};
  for (const auto& context : core.contexts)
    run_contexts.push_back(context.get());
  for (net::io_context* context : run_contexts)
    core.work.push_back(net::make_work_guard(*context));
  for (size_t i = 0; i < core.acceptors.size(); ++i)
    impl_->accept(i);
  for (net::io_context* context : run_contexts) {
    core.io_threads.emplace_back([&core, &ioc = *context] {
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception& error) {
          core.logger->error("I/O thread: {}", error.what());
        }
      }
    });
  }
  impl_->running = true;
}

void Server::stop(std::chrono::milliseconds grace) {
  if (!impl_->running || impl_->stopped) return;
  impl_->stopped = true;
  ServerCore& core = *impl_->core;
  core.stopping = true;

  std::vector<std::future<void>> closed;
  for (auto& acceptor : core.acceptors) {
    auto done = std::make_shared<std::promise<void>>();
    closed.push_back(done->get_future());
    net::post(acceptor->get_executor(), [&acceptor, done] {
      beast::error_code ignored;
      acceptor->close(ignored);
      done->set_value();
    });
  }
  for (auto& future : closed)
    future.wait();

  for (const auto& session : core.live_sessions())
    session->shutdown(false);
  if (!core.wait_for_no_connections(Clock::now() + grace)) {
    core.logger->warn("closing connections still busy after the {} ms grace period", grace.count());
    core.closed = true;
    for (const auto& session : core.live_sessions())
      session->shutdown(true);
    core.wait_for_no_connections(Clock::now() + std::chrono::seconds(2));
  }
  core.closed = true;
  {
    std::unique_lock lock(core.producers_mutex);
    core.producers_changed.wait(lock, [&] { return core.producers == 0; });
  }
  if (core.handler_pool) core.handler_pool->join();
  core.work.clear();
  core.accept_context->stop();
  for (auto& context : core.contexts)
    context->stop();
  for (auto& thread : core.io_threads)
    thread.join();
  core.io_threads.clear();
}

void Server::run_until_signal() {
  net::io_context signal_context;
  net::signal_set signals(signal_context, SIGINT, SIGTERM);
  signals.async_wait([this](beast::error_code error, int number) {
    if (!error) impl_->core->logger->info("signal {} received, stopping", number);
  });
  signal_context.run();
  stop();
}

const std::vector<BoundEndpoint>& Server::endpoints() const {
  return impl_->core->endpoints;
}

std::string Server::certificate_pem() const {
  return impl_->core->certificate_pem;
}

void announce_ready(const Server& server, const std::filesystem::path& ready_file) {
  boost::json::array endpoints;
  for (const auto& endpoint : server.endpoints()) {
    std::cout << "listening on " << endpoint.url() << '\n';
    endpoints.push_back(boost::json::object{{"url", endpoint.url()},
                                            {"host", endpoint.host},
                                            {"port", endpoint.port},
                                            {"tls", endpoint.tls}});
  }
  std::cout.flush();
  if (ready_file.empty()) return;
  const std::string content =
      boost::json::serialize(boost::json::object{{"endpoints", std::move(endpoints)}});
  common::write_file_atomically(ready_file, content + '\n');
}

}  // namespace pbx::http
