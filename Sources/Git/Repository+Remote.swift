import Foundation
internal import CLibgit2

/// The credentials a fetch or push may offer, in the order they are tried.
///
/// SSH servers are offered the ssh-agent's identities first (when `SSH_AUTH_SOCK` is set), then
/// each key file; HTTP(S) servers that answer 401 are offered each user name and password pair.
/// Nothing is tried twice, so a server that refuses everything fails fast.
public struct CredentialOptions: Sendable {
  /// A user name and password (or token) for HTTP(S), with a description of where it came from
  /// for messages (`token from GIT_INCIDENT_TOKEN`). The secret is never printed.
  public struct Password: Sendable {
    public var source: String
    public var username: String
    public var password: String

    public init(source: String, username: String, password: String) {
      self.source = source
      self.username = username
      self.password = password
    }
  }

  /// Ask the ssh-agent (`SSH_AUTH_SOCK`) first.
  public var sshAgent: Bool
  /// Private key files to try after the agent; `<key>.pub` is used when it exists.
  public var sshKeyFiles: [String]
  /// User name and password pairs for HTTP(S), in order.
  public var passwords: [Password]
  /// The most credentials offered in one operation before giving up.
  public var maxAttempts: Int

  public init(
    sshAgent: Bool = true, sshKeyFiles: [String] = [], passwords: [Password] = [],
    maxAttempts: Int = 6
  ) {
    self.sshAgent = sshAgent
    self.sshKeyFiles = sshKeyFiles
    self.passwords = passwords
    self.maxAttempts = maxAttempts
  }
}

/// The state of one fetch or push shared with libgit2's callbacks: the credentials offered so
/// far and the references the remote refused. Read it after the operation, whether it failed
/// or not.
public final class TransferSession {
  /// What may be offered.
  public let options: CredentialOptions
  /// Descriptions of the credentials offered, in order (`ssh-agent`, `key ~/.ssh/id_ed25519`,
  /// `token from GIT_INCIDENT_TOKEN`).
  public private(set) var tried: [String] = []
  /// True when the server asked for credentials and none were left to offer.
  public private(set) var exhausted = false
  /// References a push did not update, with the remote's reason (`refs/heads/main`,
  /// `non-fast-forward`).
  public private(set) var rejected: [(reference: String, reason: String)] = []

  /// What the remote printed during the operation (git's `remote:` lines: hook output,
  /// progress), split into lines without the progress counters' carriage-return updates.
  public var remoteMessages: [String] {
    String(decoding: sideband, as: UTF8.self)
      .split(whereSeparator: { $0 == "\n" || $0 == "\r" })
      .map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
  }

  var sideband = Data()
  var sshOffered = 0
  var passwordsOffered = 0
  var attempts = 0

  public init(options: CredentialOptions) { self.options = options }

  func recordRejection(_ reference: String, _ reason: String) {
    rejected.append((reference, reason))
  }

  /// Produces the next credential for libgit2, or nil when none is left.
  func next(
    _ out: UnsafeMutablePointer<OpaquePointer?>, username: String?,
    allowed: UInt32
  ) -> Int32 {
    if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 {
      return git_credential_username_new(out, username ?? "git")
    }
    attempts += 1
    if attempts > options.maxAttempts {
      exhausted = true
      return GIT_EAUTH.rawValue
    }
    if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 {
      var methods: [(String, () -> Int32)] = []
      let user = username ?? "git"
      if options.sshAgent, ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"] != nil {
        methods.append(("ssh-agent", { git_credential_ssh_key_from_agent(out, user) }))
      }
      for key in options.sshKeyFiles where FileManager.default.fileExists(atPath: key) {
        let pub = key + ".pub"
        let hasPub = FileManager.default.fileExists(atPath: pub)
        methods.append(("key \(key)", { git_credential_ssh_key_new(out, user, hasPub ? pub : nil, key, nil) }))
      }
      if sshOffered < methods.count {
        let (name, make) = methods[sshOffered]
        sshOffered += 1
        tried.append(name)
        return make()
      }
    }
    if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0,
      passwordsOffered < options.passwords.count
    {
      let p = options.passwords[passwordsOffered]
      passwordsOffered += 1
      tried.append(p.source)
      return git_credential_userpass_plaintext_new(out, p.username, p.password)
    }
    exhausted = true
    return GIT_EAUTH.rawValue
  }
}

@available(*, unavailable)
extension TransferSession: Sendable {}

/// libgit2's credentials callback: a file-level function with no captures; its state is the
/// ``TransferSession`` passed unretained in the payload.
private let credentialsCallback: git_credential_acquire_cb = { out, _, usernameFromURL, allowed, payload in
  guard let out, let payload else { return GIT_PASSTHROUGH.rawValue }
  let session = Unmanaged<TransferSession>.fromOpaque(payload).takeUnretainedValue()
  return session.next(out, username: usernameFromURL.map { String(cString: $0) }, allowed: allowed)
}

/// libgit2's push status callback: a non-NULL status is a reference the remote refused.
private let pushUpdateReferenceCallback: git_push_update_reference_cb = { refname, status, payload in
  guard let payload, let status else { return 0 }
  let session = Unmanaged<TransferSession>.fromOpaque(payload).takeUnretainedValue()
  session.recordRejection(refname.map { String(cString: $0) } ?? "", String(cString: status))
  return 0
}

/// libgit2's sideband callback: text the remote sent for people (`remote: ...`).
private let sidebandCallback: git_transport_message_cb = { text, length, payload in
  guard let payload, let text, length > 0 else { return 0 }
  let session = Unmanaged<TransferSession>.fromOpaque(payload).takeUnretainedValue()
  text.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
    session.sideband.append($0, count: Int(length))
  }
  return 0
}

/// A remote repository: a named one from configuration, or an anonymous one made from a URL.
///
/// Owns its `git_remote` handle and keeps its ``Repository`` alive.
public final class Remote {
  let pointer: OpaquePointer
  /// The repository the remote belongs to.
  public let repository: Repository

  init(pointer: OpaquePointer, repository: Repository) {
    self.pointer = pointer
    self.repository = repository
  }

  deinit { git_remote_free(pointer) }

  /// The remote's name, or nil for an anonymous remote.
  public var name: String? { git_remote_name(pointer).map { String(cString: $0) } }

  /// The fetch URL.
  public var url: String { git_remote_url(pointer).map { String(cString: $0) } ?? "" }

  /// True for an `http://` or `https://` URL: the transports that may need the certificate
  /// authorities (an http server can redirect to https). ssh, git:// and local paths never do,
  /// so a broken CA bundle does not stop them.
  /// Both the fetch URL and the push URL (`remote.<name>.pushurl`) count.
  var usesHTTP: Bool {
    let push = git_remote_pushurl(pointer).map { String(cString: $0) } ?? ""
    return [url, push].contains { address in
      let lower = address.lowercased()
      return lower.hasPrefix("https://") || lower.hasPrefix("http://")
    }
  }

  /// Downloads what `refspecs` name and updates the local references they map to.
  ///
  /// - Parameters:
  ///   - refspecs: for example `+refs/heads/main:refs/remotes/origin/main`, or
  ///     `refs/heads/main` to download without updating any reference.
  ///   - session: credentials to offer; read it after a failure for what was tried.
  /// - Throws: ``GitError`` (`.authentication` or `.user` when credentials ran out).
  ///
  /// The corresponding libgit2 function is `git_remote_fetch`.
  public func fetch(refspecs: [String], session: TransferSession) throws(GitError) {
    if usesHTTP { try TLSCertificates.load() }
    var options = git_fetch_options()
    try check(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), "git_fetch_options_init")
    options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
    options.callbacks.credentials = credentialsCallback
    options.callbacks.payload = Unmanaged.passUnretained(session).toOpaque()
    let rc = withStringArray(refspecs) { array in
      git_remote_fetch(pointer, array, &options, "git-incident: fetch")
    }
    try withExtendedLifetime(session) { () throws(GitError) in try check(rc, "git_remote_fetch") }
  }

  /// The remote's references as it advertised them during the last connection (a fetch or
  /// push), by full name.
  ///
  /// The corresponding libgit2 function is `git_remote_ls`.
  public func advertisedReferences() throws(GitError) -> [String: ObjectID] {
    var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
    var count = 0
    try check(git_remote_ls(&heads, &count, pointer), "git_remote_ls")
    var out: [String: ObjectID] = [:]
    for i in 0..<count {
      guard let head = heads?[i] else { continue }
      out[String(cString: head.pointee.name)] = ObjectID(head.pointee.oid)
    }
    return out
  }

  /// Pushes `refspecs` (never forced unless a refspec starts with `+`).
  ///
  /// - Returns: the references the remote refused, with its reasons (empty when all landed):
  ///   `fetch first` or `non-fast-forward` when the remote moved, `pre-receive hook declined`
  ///   and the like when the server refused; what the remote printed (a hook's output) is in
  ///   ``TransferSession/remoteMessages``. A push refused before anything is sent (the remote has commits we lack) throws
  ///   ``GitError`` with code `.nonFastForward` instead.
  /// - Throws: ``GitError`` for transport, authentication and non-fast-forward failures.
  ///
  /// The corresponding libgit2 function is `git_remote_push`, with the
  /// `push_update_reference` callback reporting refusals and `sideband_progress` collecting
  /// the remote's messages.
  public func push(refspecs: [String], session: TransferSession) throws(GitError)
    -> [(reference: String, reason: String)]
  {
    if usesHTTP { try TLSCertificates.load() }
    var options = git_push_options()
    try check(git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)), "git_push_options_init")
    options.callbacks.credentials = credentialsCallback
    options.callbacks.push_update_reference = pushUpdateReferenceCallback
    options.callbacks.sideband_progress = sidebandCallback
    options.callbacks.payload = Unmanaged.passUnretained(session).toOpaque()
    let rc = withStringArray(refspecs) { array in git_remote_push(pointer, array, &options) }
    try withExtendedLifetime(session) { () throws(GitError) in try check(rc, "git_remote_push") }
    return session.rejected
  }
}

@available(*, unavailable)
extension Remote: Sendable {}

extension Repository {
  /// The remote configured under `name`, or nil when there is none.
  ///
  /// The corresponding libgit2 function is `git_remote_lookup`.
  /// - Throws: ``GitError`` when the configuration is invalid.
  public func remote(named name: String) throws(GitError) -> Remote? {
    var remote: OpaquePointer?
    let rc = git_remote_lookup(&remote, pointer, name)
    if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EINVALIDSPEC.rawValue { return nil }
    try check(rc, "git_remote_lookup")
    return Remote(pointer: remote!, repository: self)
  }

  /// An in-memory remote for a URL or path, without configuration.
  ///
  /// The corresponding libgit2 function is `git_remote_create_anonymous`.
  public func anonymousRemote(url: String) throws(GitError) -> Remote {
    var remote: OpaquePointer?
    try check(git_remote_create_anonymous(&remote, pointer, url), "git_remote_create_anonymous")
    return Remote(pointer: remote!, repository: self)
  }

  /// Adds a remote to the configuration with git's default fetch refspec
  /// (`+refs/heads/*:refs/remotes/<name>/*`).
  ///
  /// The corresponding libgit2 function is `git_remote_create`.
  /// - Throws: ``GitError`` `.exists` when the name is taken.
  @discardableResult
  public func addRemote(named name: String, url: String) throws(GitError) -> Remote {
    var remote: OpaquePointer?
    try check(git_remote_create(&remote, pointer, name, url), "git_remote_create")
    return Remote(pointer: remote!, repository: self)
  }

  /// The names of the configured remotes.
  ///
  /// The corresponding libgit2 function is `git_remote_list`.
  public func remoteNames() throws(GitError) -> [String] {
    var array = git_strarray()
    try check(git_remote_list(&array, pointer), "git_remote_list")
    defer { git_strarray_dispose(&array) }
    return (0..<array.count).compactMap { array.strings[$0].map { String(cString: $0) } }
  }
}

/// Calls `body` with a `git_strarray` holding copies of `strings`, freed afterwards.
func withStringArray<R>(_ strings: [String], _ body: (UnsafePointer<git_strarray>) -> R) -> R {
  var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
  defer { pointers.forEach { free($0) } }
  return pointers.withUnsafeMutableBufferPointer { buffer in
    var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
    return body(&array)
  }
}
