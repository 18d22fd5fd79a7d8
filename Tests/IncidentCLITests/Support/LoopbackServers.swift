import Foundation

/// A free TCP port on 127.0.0.1 (bound, read back, released).
func freeLoopbackPort() throws -> UInt16 {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  defer { close(fd) }
  var addr = sockaddr_in()
  addr.sin_family = sa_family_t(AF_INET)
  addr.sin_addr.s_addr = inet_addr("127.0.0.1")
  addr.sin_port = 0
  var len = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafePointer(to: &addr) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
  }
  guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
  _ = withUnsafeMutablePointer(to: &addr) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
  }
  return UInt16(bigEndian: addr.sin_port)
}

/// True once something accepts connections on 127.0.0.1:`port` (polled for up to `timeout`
/// seconds).
func waitForListener(port: UInt16, timeout: TimeInterval = 10) -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  while Date() < deadline {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = port.bigEndian
    let ok = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    close(fd)
    if ok == 0 { return true }
    usleep(50_000)
  }
  return false
}

/// `git daemon` serving a folder on 127.0.0.1 with push enabled; stopped by ``stop()``.
final class GitDaemon {
  let port: UInt16
  private let process = Process()

  init(basePath: URL) throws {
    port = try freeLoopbackPort()
    process.executableURL = URL(fileURLWithPath: "/usr/lib/git-core/git-daemon")
    process.arguments = [
      "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(basePath.path)",
      "--export-all", "--enable=receive-pack", "--informative-errors", basePath.path,
    ]
    process.environment = ["PATH": "/usr/lib/git-core:/usr/bin:/bin", "HOME": basePath.path, "GIT_CONFIG_NOSYSTEM": "1"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    guard waitForListener(port: port) else {
      stop()
      throw POSIXError(.ETIMEDOUT)
    }
  }

  func url(_ repository: String) -> String { "git://127.0.0.1:\(port)/\(repository)" }

  func stop() {
    // git daemon is started with SIGTERM blocked by Foundation's spawn; SIGKILL always works.
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
  }
}

/// An HTTP server on 127.0.0.1 that answers every request with `401 Unauthorized` and
/// `WWW-Authenticate: Basic`, counting requests; stopped by ``stop()``.
final class UnauthorizedHTTPServer: @unchecked Sendable {
  let port: UInt16
  private let listener: Int32
  private let lock = NSLock()
  private var count = 0
  private var stopped = false

  var requests: Int { lock.withLock { count } }

  init() throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var yes: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
    }
    guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
    _ = withUnsafeMutablePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    port = UInt16(bigEndian: addr.sin_port)
    listener = fd
    let thread = Thread { [self] in serve() }
    thread.start()
  }

  private func serve() {
    while true {
      let client = accept(listener, nil, nil)
      if client < 0 { return }
      if lock.withLock({ stopped }) {
        close(client)
        return
      }
      lock.withLock { count += 1 }
      var buffer = [UInt8](repeating: 0, count: 8192)
      var request = Data()
      while !request.contains(Data("\r\n\r\n".utf8)) {
        let n = read(client, &buffer, buffer.count)
        if n <= 0 { break }
        request.append(contentsOf: buffer[0..<n])
      }
      let body = "authentication required\n"
      let response = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\n"
        + "Content-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
      _ = response.withCString { write(client, $0, strlen($0)) }
      close(client)
    }
  }

  func url(_ path: String) -> String { "http://127.0.0.1:\(port)/\(path)" }

  func stop() {
    lock.withLock { stopped = true }
    shutdown(listener, Int32(SHUT_RDWR))
    close(listener)
  }
}
