import Foundation
internal import CLibgit2

/// The certificate authorities libgit2 trusts for https remotes, parsed when a transfer first
/// needs them instead of in `git_libgit2_init`.
///
/// Debian's libgit2 (built with mbedTLS) parses the system bundle
/// (`/etc/ssl/certs/ca-certificates.crt`, 214 KB, about 140 certificates) inside
/// `git_libgit2_init`: 4 to 5 ms, a tenth of a `note` and a third of a `show` at 10,000
/// incidents, though only https fetches and pushes use it. This process defines the mbedTLS
/// function libgit2 calls for it, `mbedtls_x509_crt_parse_file` (the dynamic linker binds
/// libgit2's call to the executable's definition, as it binds any symbol the executable
/// defines); during `git_libgit2_init` it only notes the bundle's path, and at every other
/// time it calls mbedTLS's own function. Before a transfer, ``load()`` has libgit2 parse the
/// noted bundle (`git_libgit2_opts` with `GIT_OPT_SET_SSL_CERT_LOCATIONS`), which is what
/// `git_libgit2_init` would have done.
///
/// With a libgit2 that does not use mbedTLS (OpenSSL loads its store when a connection needs
/// it) the definition is never called and nothing is deferred.
public enum TLSCertificates {
  /// What the interposed function saw: all state lives behind `lock`.
  fileprivate final class State: @unchecked Sendable {
    let lock = NSLock()
    /// Held by ``TLSCertificates/load()`` for the whole parse, so two transfers parse once.
    let loading = NSLock()
    /// True only while this process runs `git_libgit2_init`, on the thread running it.
    var deferringOn: pthread_t?
    /// The bundle libgit2 asked for during `git_libgit2_init` and has not been given yet.
    var deferredPath: String?
    /// Bundles parsed by mbedTLS through the interposed function, for tests.
    var parsed: [String] = []
  }

  fileprivate static let state = State()

  /// Runs `git_libgit2_init` with the parse of the system bundle deferred.
  static func initializeLibrary() -> Int32 {
    state.lock.withLock { state.deferringOn = pthread_self() }
    defer { state.lock.withLock { state.deferringOn = nil } }
    return git_libgit2_init()
  }

  /// The bundle whose parse is still deferred (nil once ``load()`` ran, or when libgit2 asked
  /// for none).
  public static var deferredPath: String? {
    _ = libgit2Initialized
    return state.lock.withLock { state.deferredPath }
  }

  /// The bundles mbedTLS parsed in this process through libgit2, in order (for tests).
  public static var parsedPaths: [String] { state.lock.withLock { state.parsed } }

  /// Has libgit2 parse the bundle it asked for in `git_libgit2_init`, once; nothing when it
  /// was parsed already or none was asked for. Called before every fetch and push.
  ///
  /// The corresponding libgit2 function is `git_libgit2_opts` with
  /// `GIT_OPT_SET_SSL_CERT_LOCATIONS`.
  /// - Throws: ``GitError`` when the bundle cannot be read or parsed (the https transfer
  ///   would fail to verify the server anyway); it is tried again on the next call.
  public static func load() throws(GitError) {
    _ = libgit2Initialized
    state.loading.lock()
    defer { state.loading.unlock() }
    guard let path = state.lock.withLock({ state.deferredPath }) else { return }
    try check(git_incident_set_ssl_cert_file(path), "git_libgit2_opts")
    state.lock.withLock { state.deferredPath = nil }
  }

  fileprivate typealias Parse = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Int32

  /// mbedTLS's own `mbedtls_x509_crt_parse_file`, the next definition after this process's.
  fileprivate static let mbedTLSParse: Parse? = {
    // RTLD_NEXT is ((void *) -1l) in glibc's dlfcn.h, which Swift does not import.
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: -1), "mbedtls_x509_crt_parse_file")
    else { return nil }
    return unsafeBitCast(symbol, to: Parse.self)
  }()
}

/// Interposes mbedTLS's `int mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char
/// *path)` for ``TLSCertificates``: during `git_libgit2_init` notes `path` and returns 0 (no
/// certificate parsed, no error); otherwise calls mbedTLS's function.
@_cdecl("mbedtls_x509_crt_parse_file")
public func gitIncidentParseCertificateFile(
  _ chain: UnsafeMutableRawPointer?, _ path: UnsafePointer<CChar>?
) -> Int32 {
  let state = TLSCertificates.state
  let deferred = state.lock.withLock { () -> Bool in
    guard let thread = state.deferringOn, pthread_equal(thread, pthread_self()) != 0, let path
    else { return false }
    state.deferredPath = String(cString: path)
    return true
  }
  if deferred { return 0 }
  // MBEDTLS_ERR_X509_FEATURE_UNAVAILABLE (-0x2080) if mbedTLS itself cannot be found.
  guard let parse = TLSCertificates.mbedTLSParse else { return -0x2080 }
  if let path { state.lock.withLock { state.parsed.append(String(cString: path)) } }
  return parse(chain, path)
}
