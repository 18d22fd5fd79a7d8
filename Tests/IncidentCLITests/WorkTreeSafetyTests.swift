import Foundation
import Testing

/// What a write does when the work tree is not what it expects: a folder that is a symbolic
/// link, a lock on the index, a file where a folder must go. Nothing is changed, and the error
/// names the path.
@Suite("Work-tree safety of writes")
struct WorkTreeSafetyTests {
  static func postmortems(_ box: Sandbox, count: Int) throws -> URL {
    let source = box.path("postmortems")
    try ImportPackTests.write(count, to: source)
    return source
  }

  static func snapshot(_ box: Sandbox, _ repo: URL) throws -> [String] {
    [
      try box.git(["rev-parse", "HEAD"], in: repo),
      try box.git(["status", "--porcelain", "--untracked-files=all"], in: repo),
      try box.git(["ls-files", "--stage"], in: repo),
    ]
  }

  @Test func aSymbolicLinkOnThePathIsRefusedBeforeAnythingIsWritten() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let outside = box.path("outside")
    try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(at: repo.appendingPathComponent("incidents"), withDestinationURL: outside)
    let before = try Self.snapshot(box, repo)

    let declare = try box.incident(["declare", "Checkout down", "--severity", "SEV2"], in: repo)
    #expect(declare.status == 1)
    #expect(declare.stderr.contains("incidents is a symbolic link in the work tree; git does not write through one"), "\(declare.stderr)")
    let imported = try box.incident(["import", "markdown", try Self.postmortems(box, count: 70).path], in: repo)
    #expect(imported.status == 1)
    #expect(imported.stderr.contains("incidents is a symbolic link in the work tree"), "\(imported.stderr)")
    #expect(try Self.snapshot(box, repo) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
  }

  @Test func aLockedIndexIsRefusedBeforeAnythingIsWritten() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let lock = repo.appendingPathComponent(".git/index.lock")
    try Data().write(to: lock)
    let tip = try box.git(["rev-parse", "HEAD"], in: repo)
    let r = try box.incident(["import", "markdown", try Self.postmortems(box, count: 70).path], in: repo)
    #expect(r.status == 1)
    #expect(r.stderr.contains("\(lock.path) exists: another git process is changing the index; nothing was changed"), "\(r.stderr)")
    #expect(try box.git(["rev-parse", "HEAD"], in: repo) == tip)
    #expect(!FileManager.default.fileExists(atPath: repo.appendingPathComponent("incidents").path))
  }

  /// A file where the import needs a folder: the new files cannot all be written, so the
  /// import is refused and those written are taken back; the user's file is untouched.
  @Test func aNewFileThatCannotBeWrittenRefusesTheImport() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    try FileManager.default.createDirectory(at: repo.appendingPathComponent("incidents"), withIntermediateDirectories: true)
    try Data("mine\n".utf8).write(to: repo.appendingPathComponent("incidents/2021"))
    let before = try Self.snapshot(box, repo)
    let r = try box.incident(["import", "markdown", try Self.postmortems(box, count: 70).path], in: repo)
    #expect(r.status == 1)
    #expect(r.stderr.contains("error: cannot write incidents/2021/INC-2021") && r.stderr.contains("/incident.yaml in the work tree (open: Not a directory); nothing was changed"), "\(r.stderr)")
    #expect(try Self.snapshot(box, repo) == before)
    #expect(try Data(contentsOf: repo.appendingPathComponent("incidents/2021")) == Data("mine\n".utf8))
    #expect(try FileManager.default.contentsOfDirectory(atPath: repo.appendingPathComponent("incidents").path) == ["2021"])
  }

  /// A source ID taken from a file name obeys the one-line rule like any imported field: a
  /// control character is removed (with a warning), so the record stays readable and a second
  /// import finds it.
  @Test func aFileNameWithAControlCharacterGivesACleanSourceID() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let source = box.path("md")
    try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
    try Data("---\ntitle: Escape in the name\nstart_time: 2022-01-04T00:00:00Z\n---\n".utf8)
      .write(to: source.appendingPathComponent("esc\u{1B}[31m.md"))
    let first = try box.incident(["import", "markdown", source.path, "--json"], in: repo)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stderr.contains("removed control or bidirectional characters (U+001B) from file name"), "\(first.stderr)")
    let report = try #require(try box.json(first.stdout) as? [String: Any])
    let imported = try #require((report["imported"] as? [[String: Any]])?.first)
    #expect((imported["source"] as? [String: String])?["id"] == "esc[31m.md")
    #expect(try box.incident(["list"], in: repo).status == 0)
    let again = try box.incident(["import", "markdown", source.path, "--json"], in: repo)
    let present = try #require((try box.json(again.stdout) as? [String: Any])?["already_present"] as? [[String: Any]])
    #expect(present.count == 1 && present.first?["source"] as? String == "markdown:esc[31m.md")
  }

  /// A folder given as a symbolic link is read where it points; the same file reached through
  /// the link and directly is read once.
  @Test func aFolderGivenAsALinkIsFollowedOnce() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let real = box.path("real")
    try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
    try Data("---\ntitle: Through a link\nstart_time: 2022-01-05T00:00:00Z\n---\n".utf8).write(to: real.appendingPathComponent("a.md"))
    try FileManager.default.createSymbolicLink(at: box.path("linked"), withDestinationURL: real)
    let r = try box.incident(["import", "markdown", box.path("linked").path, real.path, "--json"], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    let report = try #require(try box.json(r.stdout) as? [String: Any])
    #expect((report["imported"] as? [[String: Any]])?.compactMap { ($0["source"] as? [String: String])?["id"] } == ["a.md"])
  }

  /// The index is checked after the commit's objects are written (it is read on the other
  /// core meanwhile): a change staged in the index, with the work tree's file as committed,
  /// still refuses the note, the branch stays where it was and the staged entry is kept.
  @Test func aStagedChangeRefusesTheNoteAndKeepsTheIndex() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let id = try box.incident(["declare", "Staged", "--severity", "SEV3"], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    let path = "incidents/\(id.dropFirst(4).prefix(4))/\(id)/timeline.yaml"
    let file = repo.appendingPathComponent(path)
    let committed = try Data(contentsOf: file)
    try (committed + Data("# staged edit\n".utf8)).write(to: file)
    try box.git(["add", path], in: repo)
    try committed.write(to: file)
    let staged = try box.git(["ls-files", "--stage", path], in: repo)
    let tip = try box.git(["rev-parse", "HEAD"], in: repo)

    let r = try box.incident(["note", id, "must not land"], in: repo)
    #expect(r.status == 1)
    #expect(r.stderr.contains(path), "\(r.stderr)")
    #expect(try box.git(["rev-parse", "HEAD"], in: repo) == tip)
    #expect(try box.git(["ls-files", "--stage", path], in: repo) == staged)
    #expect(try Data(contentsOf: file) == committed)
    // Unstaged, the note lands and the status is clean.
    try box.git(["reset", "-q", "--", path], in: repo)
    #expect(try box.incident(["note", id, "lands"], in: repo).status == 0)
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")
  }

  /// A work-tree copy that differs from the blob only as git's filters make it differ (CRLF
  /// line endings under `core.autocrlf=true`) is clean, as `git status` says; an edit is not.
  @Test func aCopyWithCRLFLineEndingsUnderAutocrlfIsClean() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let id = try box.incident(["declare", "Line endings", "--severity", "SEV3"], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    let path = "incidents/\(id.dropFirst(4).prefix(4))/\(id)/timeline.yaml"
    let file = repo.appendingPathComponent(path)
    let lf = try String(contentsOf: file, encoding: .utf8)
    // As git checks it out under core.autocrlf=true (as a clone on Windows would have it).
    try box.git(["config", "core.autocrlf", "true"], in: repo)
    try FileManager.default.removeItem(at: file)
    try box.git(["checkout", "--", path], in: repo)
    #expect(try String(contentsOf: file, encoding: .utf8) == lf.replacingOccurrences(of: "\n", with: "\r\n"))
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")

    let landed = try box.incident(["note", id, "lands through the filters"], in: repo)
    #expect(landed.status == 0, "\(landed.stderr)")
    let blob = try box.git(["show", "HEAD:\(path)"], in: repo)
    #expect(blob.hasPrefix(lf))
    #expect(blob.contains("text: lands through the filters"))
    #expect(!blob.contains("\r"))

    try (try String(contentsOf: file, encoding: .utf8) + "# edit\r\n").write(to: file, atomically: false, encoding: .utf8)
    let refused = try box.incident(["note", id, "must not land"], in: repo)
    #expect(refused.status == 1)
    #expect(refused.stderr.contains(path), "\(refused.stderr)")
  }

  /// A write killed after its branch moved leaves the index and work tree at the version
  /// before its commit: the next write says so and how to bring them up to date.
  @Test func theStateAnInterruptedWriteLeavesIsExplained() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let id = try box.incident(["declare", "Killed", "--severity", "SEV3"], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    let path = "incidents/\(id.dropFirst(4).prefix(4))/\(id)/timeline.yaml"
    #expect(try box.incident(["note", id, "landed before the kill"], in: repo).status == 0)
    // What the kill leaves: HEAD moved, index and work tree as before the commit.
    try box.git(["reset", "-q", "HEAD~", "--", path], in: repo)
    try box.git(["checkout", "--", path], in: repo)
    let tip = try box.git(["rev-parse", "HEAD"], in: repo)

    let r = try box.incident(["note", id, "after the kill"], in: repo)
    #expect(r.status == 1)
    #expect(r.stderr.contains("\(path) still has the version before the last commit (\(tip.prefix(7))) in the index"), "\(r.stderr)")
    #expect(r.stderr.contains("`git checkout HEAD -- \(path)` brings them up to date"), "\(r.stderr)")
    #expect(try box.git(["rev-parse", "HEAD"], in: repo) == tip)
    try box.git(["checkout", "HEAD", "--", path], in: repo)
    #expect(try box.incident(["note", id, "after the kill"], in: repo).status == 0)
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")

    // Killed after the work tree was written but before the index (`MM`), and a declare
    // killed the same way (its files not in the index yet): explained too.
    #expect(try box.incident(["note", id, "second"], in: repo).status == 0)
    try box.git(["reset", "-q", "HEAD~", "--", path], in: repo)
    let declared = try box.incident(["declare", "Killed too", "--severity", "SEV3"], in: repo)
    let other = declared.stdout.trimmingCharacters(in: .newlines)
    let otherFolder = "incidents/\(other.dropFirst(4).prefix(4))/\(other)"
    try box.git(["rm", "-q", "--cached", "\(otherFolder)/incident.yaml", "\(otherFolder)/timeline.yaml"], in: repo)
    let mm = try box.incident(["note", id, "after the second kill"], in: repo)
    #expect(mm.status == 1)
    // The last commit (the declare) did not change the note's file: the plain refusal.
    #expect(mm.stderr.contains("uncommitted changes to \(path)"), "\(mm.stderr)")
    let d = try box.incident(["note", other, "after the declare's kill"], in: repo)
    #expect(d.status == 1)
    #expect(d.stderr.contains("still have the version before the last commit"), "\(d.stderr)")
    try box.git(["checkout", "HEAD", "--", otherFolder, path], in: repo)
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")
    #expect(try box.incident(["note", other, "after the declare's kill"], in: repo).status == 0)
  }

  /// A file the commit does not change is not rewritten (a note leaves incident.yaml alone).
  @Test func filesTheCommitDoesNotChangeAreNotRewritten() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let id = try box.incident(["declare", "Untouched", "--severity", "SEV3"], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    let incident = repo.appendingPathComponent("incidents/\(id.dropFirst(4).prefix(4))/\(id)/incident.yaml")
    let before = try FileManager.default.attributesOfItem(atPath: incident.path)
    let staged = try box.git(["ls-files", "--stage", "--debug", incident.path], in: repo)
    #expect(try box.incident(["note", id, "only the timeline"], in: repo).status == 0)
    let after = try FileManager.default.attributesOfItem(atPath: incident.path)
    #expect(after[.systemFileNumber] as? Int == before[.systemFileNumber] as? Int)
    #expect(after[.modificationDate] as? Date == before[.modificationDate] as? Date)
    #expect(try box.git(["ls-files", "--stage", "--debug", incident.path], in: repo) == staged)
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")
  }

  /// An index libgit2 cannot read is the user's to repair: exit 1, the file named, nothing
  /// changed; the split-index form gets its own advice.
  @Test func anUnreadableIndexIsRefusedNamingTheFile() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let id = try box.incident(["declare", "Index", "--severity", "SEV3"], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    let index = repo.appendingPathComponent(".git/index")
    let good = try Data(contentsOf: index)
    var damaged = good
    damaged[damaged.count - 30] ^= 0xFF
    try damaged.write(to: index)
    let tip = try box.git(["rev-parse", "HEAD"], in: repo)
    let r = try box.incident(["note", id, "must not land"], in: repo)
    #expect(r.status == 1)
    #expect(r.stderr.contains("cannot read the index (\(index.path))"), "\(r.stderr)")
    #expect(r.stderr.contains("nothing was changed"), "\(r.stderr)")
    #expect(try box.git(["rev-parse", "HEAD"], in: repo) == tip)
    #expect(try Data(contentsOf: index) == damaged)

    try good.write(to: index)
    try box.git(["update-index", "--split-index"], in: repo)
    let split = try box.incident(["note", id, "must not land"], in: repo)
    #expect(split.status == 1)
    #expect(split.stderr.contains("`git update-index --no-split-index` writes it whole"), "\(split.stderr)")
    try box.git(["update-index", "--no-split-index"], in: repo)
    #expect(try box.incident(["note", id, "lands"], in: repo).status == 0)
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")
  }

  /// Mode and type changes count as changes, as `git status` shows them: a staged or
  /// work-tree executable bit, and a link in place of the file with the same bytes.
  @Test func modeAndTypeChangesRefuseTheNote() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let id = try box.incident(["declare", "Modes", "--severity", "SEV3"], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    let path = "incidents/\(id.dropFirst(4).prefix(4))/\(id)/timeline.yaml"
    let file = repo.appendingPathComponent(path)
    let tip = try box.git(["rev-parse", "HEAD"], in: repo)
    func refused(_ what: String) throws {
      let r = try box.incident(["note", id, "must not land"], in: repo)
      #expect(r.status == 1, "\(what)")
      #expect(r.stderr.contains(path), "\(what): \(r.stderr)")
      #expect(try box.git(["rev-parse", "HEAD"], in: repo) == tip, "\(what)")
    }

    try box.git(["update-index", "--chmod=+x", path], in: repo)
    try refused("staged +x")
    #expect(try box.git(["ls-files", "--stage", path], in: repo).hasPrefix("100755 "))
    try box.git(["update-index", "--chmod=-x", path], in: repo)

    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
    try refused("work-tree +x")
    #expect((try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int) == 0o755)
    try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)

    let copy = box.path("copy.yaml")
    try FileManager.default.copyItem(at: file, to: copy)
    try FileManager.default.removeItem(at: file)
    try FileManager.default.createSymbolicLink(at: file, withDestinationURL: copy)
    try refused("link with the same bytes")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: file.path) == copy.path)
    try FileManager.default.removeItem(at: file)
    try FileManager.default.copyItem(at: copy, to: file)

    #expect(try box.incident(["note", id, "lands"], in: repo).status == 0)
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")
  }

  /// SIGTERM while a note waits inside the section from the branch's move to the index's write
  /// (here: for the branch's lock): the note lands whole, index and work tree included, and
  /// only then does the process end by the signal.
  @Test func aSignalBetweenTheMoveAndTheIndexWaitsForTheIndex() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let id = try box.incident(["declare", "Interrupted", "--severity", "SEV3"], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    let path = "incidents/\(id.dropFirst(4).prefix(4))/\(id)/timeline.yaml"
    let before = try box.git(["rev-parse", "HEAD"], in: repo)
    let branchLock = repo.appendingPathComponent(".git/refs/heads/main.lock")
    try Data().write(to: branchLock)
    let note = Process()
    // Started with no signal blocked, as from a shell (the test runner's threads block most).
    note.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    note.arguments = [
      "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
      Sandbox.executable.path, "note", id, "landed despite the signal",
    ]
    note.currentDirectoryURL = repo
    note.environment = box.environment
    note.standardOutput = FileHandle.nullDevice
    note.standardError = FileHandle.nullDevice
    try note.run()
    usleep(400_000)  // the note is waiting for the branch's lock by now
    let signals = (try? String(contentsOfFile: "/proc/\(note.processIdentifier)/status", encoding: .utf8))?
      .split(separator: "\n").filter { $0.hasPrefix("Sig") }.joined(separator: " ") ?? "gone"
    kill(note.processIdentifier, SIGTERM)
    usleep(150_000)
    #expect(note.isRunning, "the signal waits for the section's end")
    try FileManager.default.removeItem(at: branchLock)
    note.waitUntilExit()
    #expect(note.terminationReason == .uncaughtSignal, "\(signals)")
    #expect(note.terminationStatus == SIGTERM)
    #expect(try box.git(["rev-parse", "HEAD"], in: repo) != before)
    #expect(try box.git(["show", "HEAD:\(path)"], in: repo).contains("landed despite the signal"))
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")
    #expect(!FileManager.default.fileExists(atPath: repo.appendingPathComponent(".git/index.lock").path))
  }

  /// A folder committed where an incident's record file goes: `list` warns naming it, `show`
  /// refuses naming it (exit 1, not an internal fault).
  @Test func aFolderInPlaceOfARecordIsNamed() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let id = try box.incident(["declare", "Folder", "--severity", "SEV3"], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    let folder = "incidents/\(id.dropFirst(4).prefix(4))/\(id)"
    let good = try box.git(["rev-parse", "HEAD"], in: repo).trimmingCharacters(in: .newlines)
    for name in ["incident.yaml", "timeline.yaml"] {
      let path = repo.appendingPathComponent("\(folder)/\(name)")
      try FileManager.default.removeItem(at: path)
      try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
      try "x\n".write(to: path.appendingPathComponent("inside.txt"), atomically: true, encoding: .utf8)
      try box.git(["add", "-A", folder], in: repo)
      try box.git(["commit", "-qm", "\(name) as a folder"], in: repo)
      let show = try box.incident(["show", id], in: repo)
      #expect(show.status == 1, "\(name): \(show.stderr)")
      #expect(show.stderr.contains("\(folder)/\(name)") && show.stderr.contains("is a folder, not a file"), "\(show.stderr)")
      let list = try box.incident(["list", "--json"], in: repo)
      #expect(list.status != 70, "\(list.stderr)")
      #expect(!list.stderr.contains("git_blob_lookup"), "\(list.stderr)")
      if name == "incident.yaml" { #expect(list.stderr.contains(folder), "\(list.stderr)") }
      try box.git(["rm", "-rq", "\(folder)/\(name)"], in: repo)
      try box.git(["checkout", "-q", good, "--", "\(folder)/\(name)"], in: repo)
      try box.git(["commit", "-qm", "\(name) back"], in: repo)
      #expect(try box.incident(["show", id], in: repo).status == 0)
    }
  }
}
