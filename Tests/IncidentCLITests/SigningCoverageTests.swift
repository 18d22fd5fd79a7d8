import Foundation
import Testing

/// Every command that writes commits signs them when git config asks, not only single changes;
/// and verification honours the revocation file and checks key validity at the commit's time,
/// as `git verify-commit` does.
@Suite("Signing coverage")
struct SigningCoverageTests {
  @Test func importSignsEveryCommitOrWritesNothing() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let key = try SigningTests.key(box, "key")
    let repo = try SigningTests.signingRepo(box, key: key.path, allowed: key.pub)
    let md = box.path("pm")
    try FileManager.default.createDirectory(at: md, withIntermediateDirectories: true)
    for n in 1...2 {
      try "---\ntitle: Outage \(n)\nstart_time: 2024-0\(n)-01T10:00:00Z\nend_time: 2024-0\(n)-01T11:00:00Z\n---\nBody \(n)\n"
        .write(to: md.appendingPathComponent("pm\(n).md"), atomically: true, encoding: .utf8)
    }
    let r = try box.incident(["import", "markdown", md.path], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    let marks = try box.git(["log", "--format=%G?"], in: repo).split(separator: "\n")
    #expect(marks.count == 2 && marks.allSatisfy { $0 == "G" }, "\(marks)")

    // A key that needs a passphrase, without a terminal: the import fails and writes nothing.
    let locked = try SigningTests.key(box, "locked", passphrase: "secret")
    try box.git(["config", "user.signingkey", locked.path], in: repo)
    let more = box.path("pm2")
    try FileManager.default.createDirectory(at: more, withIntermediateDirectories: true)
    try "---\ntitle: Outage 3\nstart_time: 2024-03-01T10:00:00Z\n---\nBody\n"
      .write(to: more.appendingPathComponent("pm3.md"), atomically: true, encoding: .utf8)
    let before = try box.commitCount(in: repo)
    let failed = try box.incident(["import", "markdown", more.path], in: repo)
    #expect(failed.status == 1, "\(failed.stderr)")
    #expect(try box.commitCount(in: repo) == before)
  }

  @Test func revokedKeysAndValidityAtCommitTime() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let key = try SigningTests.key(box, "key")
    let repo = try SigningTests.signingRepo(box, key: key.path, allowed: key.pub)
    try box.incident(["declare", "Signed", "--severity", "SEV3"], in: repo)
    #expect(try box.incident(["audit", "--require-signed"], in: repo).status == 0)
    // A key valid until an hour after the commit (but not now) still verifies, as git's
    // -Overify-time does.
    let committed = try box.git(["log", "-1", "--format=%ct"], in: repo).trimmingCharacters(in: .whitespacesAndNewlines)
    let until = Date(timeIntervalSince1970: TimeInterval(Int(committed)! + 1))
    let f = DateFormatter()
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyyMMddHHmmss"
    try "ana@example.com namespaces=\"git\",valid-before=\"\(f.string(from: until))Z\" \(key.pub)\n"
      .write(to: box.path("allowed_signers"), atomically: true, encoding: .utf8)
    Thread.sleep(forTimeInterval: 2)
    #expect(try box.run("/usr/bin/git", ["verify-commit", "HEAD"], in: repo, env: [:]).status == 0)
    #expect(try box.incident(["audit", "--require-signed"], in: repo).status == 0)
    // A revoked key fails for git and for us.
    try (key.pub + "\n").write(to: box.path("revoked"), atomically: true, encoding: .utf8)
    try box.git(["config", "gpg.ssh.revocationFile", box.path("revoked").path], in: repo)
    #expect(try box.run("/usr/bin/git", ["verify-commit", "HEAD"], in: repo, env: [:]).status != 0)
    let r = try box.incident(["audit", "--require-signed", "--json"], in: repo)
    #expect(r.status == 1)
    #expect(try SigningTests.violations(r).contains { $0.hasSuffix("signature-invalid") })
  }

  @Test func syncSignsItsMergeCommit() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let key = try SigningTests.key(box, "key")
    let seed = try SigningTests.signingRepo(box, key: key.path, allowed: key.pub)
    let id = try box.incident(["declare", "Shared", "--severity", "SEV3"], in: seed).stdout.trimmingCharacters(in: .newlines)
    let remote = box.path("remote.git")
    try box.git(["clone", "-q", "--bare", seed.path, remote.path], in: box.root)
    try box.git(["clone", "-q", remote.path, box.path("b").path], in: box.root)
    let b = box.path("b")
    for (k, v) in [("gpg.format", "ssh"), ("user.signingkey", key.path), ("commit.gpgsign", "true"),
                   ("gpg.ssh.allowedSignersFile", box.path("allowed_signers").path)] {
      try box.git(["config", k, v], in: b)
    }
    try box.git(["remote", "add", "origin", remote.path], in: seed)
    #expect(try box.incident(["note", id, "from the seed"], in: seed).status == 0)
    try box.git(["push", "-q", "origin", "HEAD"], in: seed)
    #expect(try box.incident(["note", id, "from b"], in: b).status == 0)
    let r = try box.incident(["sync"], in: b)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try box.git(["log", "-1", "--format=%P"], in: b).split(separator: " ").count == 2, "a merge commit")
    #expect(try box.git(["log", "-1", "--format=%G?"], in: b) == "G\n")
  }
}
