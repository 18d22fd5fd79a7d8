import Foundation
import Testing

/// Issue 5's signing acceptance (4): commits the tool makes with `commit.gpgsign=true` and an
/// ssh key verify with `git verify-commit`; `audit --require-signed` (and the policy key) accept
/// them and name an unsigned commit and one signed by a key not in the allowed signers file.
@Suite("Signing")
struct SigningTests {
  /// Generates an ed25519 key in the sandbox; `passphrase` empty for none.
  static func key(_ box: Sandbox, _ name: String, passphrase: String = "") throws -> (path: String, pub: String) {
    let path = box.path(name).path
    let r = try box.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", path], in: box.root, env: [:])
    #expect(r.status == 0, "\(r.stderr)")
    let pub = try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    return (path, pub)
  }

  /// A repository set up to sign with `key` and to verify against an allowed signers file that
  /// lists `allowed` for ana@example.com.
  static func signingRepo(_ box: Sandbox, key: String, allowed: String) throws -> URL {
    let repo = box.path("repo")
    try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
    try box.git(["init", "-q"], in: repo)
    let signers = box.path("allowed_signers")
    try "ana@example.com namespaces=\"git\" \(allowed)\n".write(to: signers, atomically: true, encoding: .utf8)
    for (k, v) in [("gpg.format", "ssh"), ("user.signingkey", key), ("commit.gpgsign", "true"),
                   ("gpg.ssh.allowedSignersFile", signers.path)] {
      try box.git(["config", k, v], in: repo)
    }
    return repo
  }

  static func violations(_ run: Sandbox.Run) throws -> [String] {
    let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    return (report["violations"] as? [[String: Any]] ?? []).map {
      "\($0["commit"] as? String ?? "") \($0["rule"] as? String ?? "")"
    }
  }

  @Test func sshSignedCommitsVerifyAndAuditRequiresSignatures() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let ana = try Self.key(box, "ana_key")
    let repo = try Self.signingRepo(box, key: ana.path, allowed: ana.pub)
    #expect(try box.incident(["init"], in: repo).status == 0)
    let id = try box.incident(["declare", "Login fails", "--severity", "SEV3"], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    for step in [["assign", id, "commander", "Ana Lima"], ["note", id, "Looking"], ["status", id, "mitigated"]] {
      let r = try box.incident(step, in: repo)
      #expect(r.status == 0, "\(step): \(r.stderr)")
    }
    let commits = try box.git(["rev-list", "HEAD"], in: repo).split(separator: "\n").map(String.init)
    #expect(commits.count == 5)
    for commit in commits {
      let v = try box.run("/usr/bin/git", ["verify-commit", "-v", commit], in: repo, env: [:])
      #expect(v.status == 0, "git verify-commit \(commit): \(v.stderr)")
      #expect(v.stderr.contains("Good \"git\" signature for ana@example.com with ED25519 key"), "\(v.stderr)")
    }
    #expect(try box.git(["log", "-1", "--format=%G?"], in: repo) == "G\n")
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")

    let passed = try box.incident(["audit", "--require-signed", "--json"], in: repo)
    #expect(passed.status == 0, "\(passed.stdout)")
    let report = try #require(try box.json(passed.stdout) as? [String: Any])
    #expect(report["signatures_checked"] as? Int == 5)
    #expect((report["commits"] as? [[String: Any]])?.allSatisfy {
      ($0["signature"] as? String)?.hasPrefix("good: Good \"git\" signature for ana@example.com") == true
    } == true)

    // The policy key in git-incident.yaml, committed (signed) with plain git.
    let settings = repo.appendingPathComponent("git-incident.yaml")
    let text = try String(contentsOf: settings, encoding: .utf8)
    #expect(text.contains("policy:\n"))
    try text.replacingOccurrences(of: "policy:\n", with: "policy:\n  require_signed_commits: true\n")
      .write(to: settings, atomically: true, encoding: .utf8)
    try box.git(["commit", "-q", "-a", "-m", "Require signed commits"], in: repo)
    #expect(try box.incident(["audit"], in: repo).status == 0)

    // An unsigned hand commit.
    let file = repo.appendingPathComponent("incidents/\(id.dropFirst(4).prefix(4))/\(id)/incident.yaml")
    try (try String(contentsOf: file, encoding: .utf8)).replacingOccurrences(of: "title: Login fails", with: "title: Login fails for SSO users")
      .write(to: file, atomically: true, encoding: .utf8)
    try box.git(["-c", "commit.gpgsign=false", "commit", "-q", "-a", "-m", "Clarify title"], in: repo)
    let unsigned = try box.git(["rev-parse", "HEAD"], in: repo).trimmingCharacters(in: .newlines)
    let byPolicy = try box.incident(["audit", "--json"], in: repo)
    #expect(byPolicy.status == 1)
    #expect(try Self.violations(byPolicy) == ["\(unsigned) signature-missing"])
    let flagged = try box.incident(["audit", "--require-signed"], in: repo)
    #expect(flagged.status == 1)
    #expect(flagged.stdout.contains("\(unsigned.prefix(12))  -  signature-missing: the commit is not signed"), "\(flagged.stdout)")

    // A commit signed by a key that is not in the allowed signers file.
    let eve = try Self.key(box, "eve_key")
    #expect(try box.incident(["note", id, "Signed by the wrong key"], in: repo, env: [:]).status == 0)
    try (try String(contentsOf: file, encoding: .utf8)).replacingOccurrences(of: "severity: SEV3", with: "severity: SEV2")
      .write(to: file, atomically: true, encoding: .utf8)
    try box.git(["-c", "user.signingkey=\(eve.path)", "commit", "-q", "-a", "-m", "Raise severity"], in: repo)
    let foreign = try box.git(["rev-parse", "HEAD"], in: repo).trimmingCharacters(in: .newlines)
    #expect(try box.run("/usr/bin/git", ["verify-commit", foreign], in: repo, env: [:]).status != 0)
    let failed = try box.incident(["audit", "--require-signed", "--json"], in: repo)
    #expect(failed.status == 1)
    #expect(try Self.violations(failed) == ["\(unsigned) signature-missing", "\(foreign) signature-invalid"])
    let report2 = try #require(try box.json(failed.stdout) as? [String: Any])
    let invalid = (report2["violations"] as? [[String: Any]])?.last
    #expect((invalid?["message"] as? String)?.contains("ssh signature does not verify for ana@example.com") == true)
  }

  /// The literal form `key::ssh-ed25519 ...` signs through ssh-agent.
  @Test func literalKeySignsThroughAgent() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let ana = try Self.key(box, "ana_key")
    let repo = try Self.signingRepo(box, key: "key::" + ana.pub, allowed: ana.pub)
    // An agent of this test's own, in the foreground (-D) so it holds no pipe of ours; it is
    // killed by its process ID when the test ends.
    let socket = box.path("agent.sock").path
    let agent = Process()
    agent.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-agent")
    agent.arguments = ["-D", "-a", socket]
    agent.standardInput = FileHandle.nullDevice
    agent.standardOutput = FileHandle.nullDevice
    agent.standardError = FileHandle.nullDevice
    try agent.run()
    defer {
      kill(agent.processIdentifier, SIGKILL)
      agent.waitUntilExit()
    }
    for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(50_000) }
    #expect(FileManager.default.fileExists(atPath: socket))
    let env = ["SSH_AUTH_SOCK": socket]
    let noAgent = try box.incident(["init"], in: repo)
    #expect(noAgent.status == 1)
    #expect(noAgent.stderr.contains("needs ssh-agent, and SSH_AUTH_SOCK is not set"), "\(noAgent.stderr)")
    let add = try box.run("/usr/bin/ssh-add", ["-q", ana.path], in: box.root, env: env)
    #expect(add.status == 0, "\(add.stderr)")
    let r = try box.incident(["init"], in: repo, env: env)
    #expect(r.status == 0, "\(r.stderr)")
    let v = try box.run("/usr/bin/git", ["verify-commit", "HEAD"], in: repo, env: [:])
    #expect(v.status == 0, "\(v.stderr)")
    #expect(try box.commitCount(in: repo) == 1)
  }

  /// A key with a passphrase and no terminal: a clear message at once, exit 1, nothing written.
  @Test func passphraseKeyWithoutTerminalFailsFast() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let locked = try Self.key(box, "locked_key", passphrase: "correct horse")
    let repo = try Self.signingRepo(box, key: locked.path, allowed: locked.pub)
    try box.git(["config", "commit.gpgsign", "false"], in: repo)
    #expect(try box.incident(["init"], in: repo).status == 0)
    try box.git(["config", "commit.gpgsign", "true"], in: repo)
    let before = try box.git(["rev-parse", "HEAD"], in: repo)
    let started = Date()
    let r = try box.incident(["declare", "Disk full", "--severity", "SEV4"], in: repo)
    #expect(r.status == 1)
    #expect(r.stderr.contains("commit.gpgsign is true but the commit could not be signed: the ssh key \(locked.path) needs a passphrase and there is no terminal to ask for it"), "\(r.stderr)")
    #expect(r.stderr.contains("Nothing was written."))
    #expect(Date().timeIntervalSince(started) < 30, "it must not wait for a prompt")
    #expect(try box.git(["rev-parse", "HEAD"], in: repo) == before)
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")
    // A missing key is refused the same way.
    try box.git(["config", "user.signingkey", box.path("nope").path], in: repo)
    let missing = try box.incident(["declare", "Disk full", "--severity", "SEV4"], in: repo)
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("does not exist"))
    #expect(try box.git(["rev-parse", "HEAD"], in: repo) == before)
  }

  /// The default format, openpgp: gpg signs with the committer's email as the key; git's
  /// verify-commit and `audit --require-signed` accept it.
  @Test func openpgpSignedCommitsVerify() throws {
    var box = try Sandbox()
    defer { box.remove() }
    let gnupg = box.path("gnupg")
    try FileManager.default.createDirectory(at: gnupg, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    box.environment["GNUPGHOME"] = gnupg.path
    defer { _ = try? box.run("/usr/bin/gpgconf", ["--kill", "gpg-agent"], in: box.root, env: [:]) }
    let gen = try box.run("/usr/bin/gpg", ["--batch", "--quiet", "--passphrase", "", "--quick-gen-key",
                                           "Ana Lima <ana@example.com>", "ed25519", "sign", "never"], in: box.root, env: [:])
    #expect(gen.status == 0, "\(gen.stderr)")
    let repo = box.path("repo")
    try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
    try box.git(["init", "-q"], in: repo)
    try box.git(["config", "commit.gpgsign", "true"], in: repo)
    #expect(try box.incident(["init"], in: repo).status == 0)
    let declared = try box.incident(["declare", "Disk full", "--severity", "SEV4"], in: repo)
    #expect(declared.status == 0, "\(declared.stderr)")
    #expect(try box.git(["log", "--format=%G?"], in: repo) == "G\nG\n")
    let v = try box.run("/usr/bin/git", ["verify-commit", "HEAD"], in: repo, env: [:])
    #expect(v.stderr.contains("Good signature from \"Ana Lima <ana@example.com>\""), "\(v.stderr)")
    let audit = try box.incident(["audit", "--require-signed", "--json"], in: repo)
    #expect(audit.status == 0, "\(audit.stdout)")
    let report = try #require(try box.json(audit.stdout) as? [String: Any])
    #expect(report["signatures_checked"] as? Int == 2)
  }
}
