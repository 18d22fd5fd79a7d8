import Foundation
import Testing

@testable import Git

/// The index read on another thread (`Repository.prefetchIndex()`), and the work-tree
/// comparison that lets a change go on without it, checked against git's CLI.
@Suite("Index read on another thread")
struct IndexPrefetchTests {
  /// A repository with three committed files, one of them edited and staged.
  func repository() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("git-prefetch-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("a"), withIntermediateDirectories: true)
    _ = try git(["init", "-q", "-b", "main"], in: dir)
    for (name, text) in [("a/one.yaml", "one: 1\n"), ("a/two.yaml", "two: 2\n"), ("three.md", "# Three\n")] {
      try Data(text.utf8).write(to: dir.appendingPathComponent(name))
    }
    _ = try git(["add", "."], in: dir)
    _ = try git(["-c", "user.name=Ana", "-c", "user.email=ana@example.com", "commit", "-q", "-m", "Files"], in: dir)
    try Data("two: 22\n".utf8).write(to: dir.appendingPathComponent("a/two.yaml"))
    _ = try git(["add", "a/two.yaml"], in: dir)
    return dir
  }

  func git(_ args: [String], in dir: URL) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    p.arguments = args
    p.currentDirectoryURL = dir
    p.environment = ["HOME": dir.path, "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin"]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }

  /// `git ls-files --stage` as path to blob ID.
  func staged(in dir: URL) throws -> [String: String] {
    var out: [String: String] = [:]
    for line in try git(["ls-files", "--stage"], in: dir).split(separator: "\n") {
      let fields = line.split(separator: "\t")
      out[String(fields[1])] = String(fields[0].split(separator: " ")[1])
    }
    return out
  }

  @Test func thePrefetchedIndexIsTheRepositorysIndex() throws {
    let dir = try repository()
    defer { try? FileManager.default.removeItem(at: dir) }
    let expected = try staged(in: dir)
    #expect(expected.count == 3)
    let repo = try Repository.open(at: dir.path)
    repo.prefetchIndex()
    let index = try #require(try repo.index())
    for (path, id) in expected {
      #expect(index.entryID(atPath: path)?.hex == id, "\(path)")
    }
    // The same object on every later call, and written where git reads it.
    let blob = try repo.createBlob(Data("four: 4\n".utf8))
    try Data("four: 4\n".utf8).write(to: dir.appendingPathComponent("a/four.yaml"))
    try #require(try repo.index()).add(path: "a/four.yaml", blob: blob, file: dir.appendingPathComponent("a/four.yaml").path)
    #expect(index.entryID(atPath: "a/four.yaml") == blob)
    try index.write()
    var after = expected
    after["a/four.yaml"] = blob.hex
    #expect(try staged(in: dir) == after)
    #expect(try git(["status", "--porcelain"], in: dir) == "A  a/four.yaml\nM  a/two.yaml\n")
  }

  /// A read started before the repository is opened is taken over by it; one started for
  /// another repository is dropped, and the repository reads its own index.
  @Test func aReadStartedBeforeOpeningIsTakenOverOnlyByItsRepository() throws {
    let dir = try repository()
    let other = try repository()
    defer {
      try? FileManager.default.removeItem(at: dir)
      try? FileManager.default.removeItem(at: other)
    }
    try Data("three: 3\n".utf8).write(to: other.appendingPathComponent("a/three.yaml"))
    _ = try git(["add", "a/three.yaml"], in: other)
    let expected = try staged(in: dir)

    // Started from a folder inside the work tree, as `-C incidents/2026` would.
    Repository.prefetchIndex(forRepositoryAt: dir.appendingPathComponent("a").path)
    let repo = try Repository.open(at: dir.path)
    repo.prefetchIndex()
    let index = try #require(try repo.index())
    for (path, id) in expected { #expect(index.entryID(atPath: path)?.hex == id, "\(path)") }
    #expect(index.entryID(atPath: "a/three.yaml") == nil)

    Repository.prefetchIndex(forRepositoryAt: other.path)
    let mine = try Repository.open(at: dir.path)
    mine.prefetchIndex()
    let read = try #require(try mine.index())
    for (path, id) in expected { #expect(read.entryID(atPath: path)?.hex == id, "\(path)") }
    #expect(read.entryID(atPath: "a/three.yaml") == nil)
    try read.write()
    #expect(try staged(in: dir) == expected)
  }

  @Test func aDamagedIndexFailsAsWithoutAPrefetch() throws {
    let dir = try repository()
    defer { try? FileManager.default.removeItem(at: dir) }
    let indexFile = dir.appendingPathComponent(".git/index")
    var bytes = try Data(contentsOf: indexFile)
    bytes[bytes.count - 30] ^= 0xFF  // inside the last entry: the SHA-1 trailer no longer matches
    try bytes.write(to: indexFile)
    func failure(prefetching: Bool) -> GitError? {
      do {
        let repo = try Repository.open(at: dir.path)
        if prefetching { repo.prefetchIndex() }
        _ = try repo.index()
        return nil
      } catch {
        return error
      }
    }
    let plain = try #require(failure(prefetching: false))
    let prefetched = try #require(failure(prefetching: true))
    #expect(prefetched.code == plain.code)
    #expect(prefetched.message == plain.message)
    #expect(plain.message.contains("index"), "\(plain.message)")
  }

  /// A prefetch nobody takes (the command refused before it needed the index) is waited for
  /// and freed; a prefetch is taken by the filters' attribute lookup as by `index()`.
  @Test func aPrefetchNotTakenOrTakenByTheFiltersLeavesTheIndexRight() throws {
    let dir = try repository()
    defer { try? FileManager.default.removeItem(at: dir) }
    do {
      let repo = try Repository.open(at: dir.path)
      repo.prefetchIndex()
    }
    let repo = try Repository.open(at: dir.path)
    repo.prefetchIndex()
    #expect(try repo.hashWorkingFile("a/two.yaml")?.hex == "\(try staged(in: dir)["a/two.yaml"]!)")
    #expect(try repo.index()?.entryID(atPath: "a/one.yaml")?.hex == (try staged(in: dir))["a/one.yaml"])
  }

  @Test func aWorkingFileHoldsABlobByteForByteOrThroughGitsFilters() throws {
    let dir = try repository()
    defer { try? FileManager.default.removeItem(at: dir) }
    let repo = try Repository.open(at: dir.path)
    let one = try #require(ObjectID(hex: try staged(in: dir)["a/one.yaml"]!))
    #expect(try repo.workingFile("a/one.yaml", holds: one))
    #expect(try !repo.workingFile("a/two.yaml", holds: one))
    #expect(try repo.workingFile("a/missing.yaml", holds: nil))
    #expect(try !repo.workingFile("a/missing.yaml", holds: one))
    #expect(try !repo.workingFile("a", holds: one))
    #expect(try !repo.workingFile("a/one.yaml", holds: nil))
    // CRLF in the work tree: a different blob byte for byte, the same after core.autocrlf.
    try Data("one: 1\r\n".utf8).write(to: dir.appendingPathComponent("a/one.yaml"))
    #expect(try !repo.workingFile("a/one.yaml", holds: one))
    _ = try git(["config", "core.autocrlf", "true"], in: dir)
    let reopened = try Repository.open(at: dir.path)
    #expect(try reopened.workingFile("a/one.yaml", holds: one))
  }
}

/// libgit2's parse of the system's certificate authorities, moved from `git_libgit2_init` to
/// the first transfer.
@Suite("Certificate authorities parsed at the first transfer")
struct TLSCertificatesTests {
  @Test func theBundleIsParsedOnceBeforeTheFirstTransferAndNotAtStartup() throws {
    // Debian's libgit2 asks for this file when it exists (without ca-certificates, for none).
    guard FileManager.default.fileExists(atPath: "/etc/ssl/certs/ca-certificates.crt") else {
      #expect(TLSCertificates.deferredPath == nil)
      return
    }
    // Another test's fetch may have parsed it already; otherwise it is still deferred.
    let deferred = TLSCertificates.deferredPath
    let parsedBefore = TLSCertificates.parsedPaths
    let bundle = try #require(deferred ?? parsedBefore.first, "Debian's libgit2 (mbedTLS) asks for the system bundle")
    #expect(bundle.hasPrefix("/etc/ssl/"))
    #expect(FileManager.default.fileExists(atPath: bundle))
    if deferred != nil { #expect(!parsedBefore.contains(bundle)) }

    // A fetch parses it before it connects (here to a closed port: the fetch itself fails).
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let repo = try Repository.create(at: dir.path, bare: true)
    let remote = try repo.anonymousRemote(url: "https://127.0.0.1:9/nothing.git")
    #expect(throws: GitError.self) {
      try remote.fetch(refspecs: ["refs/heads/main"], session: TransferSession(options: CredentialOptions()))
    }
    #expect(TLSCertificates.deferredPath == nil)
    #expect(TLSCertificates.parsedPaths.filter { $0 == bundle }.count == 1)
    try TLSCertificates.load()
    #expect(TLSCertificates.parsedPaths.filter { $0 == bundle }.count == 1)
  }
}

extension TLSCertificatesTests {
  /// ssh, git:// and local remotes never parse the bundle (a broken one must not stop them);
  /// http and https remotes do, as does an https push URL.
  @Test func onlyHTTPRemotesNeedTheBundle() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let repo = try Repository.create(at: dir.path, bare: true)
    let cases: [(String, Bool)] = [
      ("https://example.com/x.git", true), ("HTTP://example.com/x.git", true),
      ("git://127.0.0.1/x.git", false), ("ssh://git@example.com/x.git", false),
      ("git@example.com:x.git", false), ("/srv/x.git", false), ("file:///srv/x.git", false),
    ]
    for (url, http) in cases {
      #expect(try repo.anonymousRemote(url: url).usesHTTP == http, "\(url)")
    }
    _ = try repo.addRemote(named: "origin", url: "ssh://git@example.com/x.git")
    #expect(try repo.remote(named: "origin")?.usesHTTP == false)
    try repo.setLocalConfig("remote.origin.pushurl", "https://example.com/x.git")
    #expect(try repo.remote(named: "origin")?.usesHTTP == true)
  }
}

/// `Index.update(waitingForLock:_:)`: what other commands stage between this process's read
/// and its write is kept.
@Suite("Index read-modify-write")
struct IndexUpdateTests {
  let base = IndexPrefetchTests()

  @Test func whatAnotherCommandStagedAfterTheReadIsKept() throws {
    let dir = try base.repository()
    defer { try? FileManager.default.removeItem(at: dir) }
    let repo = try Repository.open(at: dir.path)
    let index = try #require(try repo.index())
    // Staged by git after this process read the index.
    try Data("other: 1\n".utf8).write(to: dir.appendingPathComponent("other.yaml"))
    _ = try base.git(["add", "other.yaml"], in: dir)
    let theirs = try base.staged(in: dir)
    let blob = try repo.createBlob(Data("one: 11\n".utf8))
    try Data("one: 11\n".utf8).write(to: dir.appendingPathComponent("a/one.yaml"))
    var runs = 0
    try index.update(waitingForLock: 1) { index throws(GitError) in
      runs += 1
      try index.add(path: "a/one.yaml", blob: blob, file: dir.appendingPathComponent("a/one.yaml").path)
    }
    #expect(runs == 1)
    var expected = theirs
    expected["a/one.yaml"] = blob.hex
    #expect(try base.staged(in: dir) == expected)
  }

  /// Another process between its read and its write (it holds `index.lock`): the update waits,
  /// then starts from the file that process wrote.
  @Test func aHeldLockIsWaitedForAndTheNewFileUsed() throws {
    let dir = try base.repository()
    defer { try? FileManager.default.removeItem(at: dir) }
    let repo = try Repository.open(at: dir.path)
    let index = try #require(try repo.index())
    // The other process's new index: the current one plus other.yaml, made in a copy.
    let copy = dir.appendingPathComponent(".git/index.other")
    try FileManager.default.copyItem(at: dir.appendingPathComponent(".git/index"), to: copy)
    try Data("other: 1\n".utf8).write(to: dir.appendingPathComponent("other.yaml"))
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    p.arguments = ["add", "other.yaml"]
    p.currentDirectoryURL = dir
    p.environment = ["GIT_INDEX_FILE": copy.path, "HOME": dir.path, "GIT_CONFIG_NOSYSTEM": "1"]
    try p.run()
    p.waitUntilExit()
    let lock = dir.appendingPathComponent(".git/index.lock")
    try FileManager.default.moveItem(at: copy, to: lock)
    let release = Thread {
      usleep(150_000)
      // As git finishes: its lock file becomes the index.
      rename(lock.path, dir.appendingPathComponent(".git/index").path)
    }
    release.start()
    let blob = try repo.createBlob(Data("one: 11\n".utf8))
    try Data("one: 11\n".utf8).write(to: dir.appendingPathComponent("a/one.yaml"))
    let started = Date()
    try index.update(waitingForLock: 2) { index throws(GitError) in
      try index.add(path: "a/one.yaml", blob: blob, file: dir.appendingPathComponent("a/one.yaml").path)
    }
    #expect(Date().timeIntervalSince(started) >= 0.1)
    let staged = try base.staged(in: dir)
    #expect(staged["other.yaml"] != nil)
    #expect(staged["a/one.yaml"] == blob.hex)
    #expect(staged.count == 4)
  }

  @Test func aLockHeldPastTheWaitIsReported() throws {
    let dir = try base.repository()
    defer { try? FileManager.default.removeItem(at: dir) }
    let repo = try Repository.open(at: dir.path)
    let index = try #require(try repo.index())
    let before = try base.staged(in: dir)
    try Data().write(to: dir.appendingPathComponent(".git/index.lock"))
    do {
      try index.update(waitingForLock: 0.1) { _ throws(GitError) in }
      Issue.record("a held lock must stop the update")
    } catch {
      #expect(error.code == .locked)
      #expect(error.message.contains("index.lock exists"))
    }
    try FileManager.default.removeItem(at: dir.appendingPathComponent(".git/index.lock"))
    #expect(try base.staged(in: dir) == before)
  }
}
