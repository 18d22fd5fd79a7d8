import Foundation
import Testing

/// An import of 64 commits or more writes its objects as one pack: exactly the blobs, trees and
/// commits of the new history, which git's CLI reads back as the records say.
@Suite("Import as one pack")
struct ImportPackTests {
  static let count = 70

  /// Markdown postmortems, each with its own title, times and a two-row timeline table; one has
  /// a cState track entry, one an escape character (removed, with a warning) and CR LF lines.
  static func write(_ count: Int, to folder: URL) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for n in 0..<count {
      let day = String(format: "2021-%02d-%02d", n / 28 + 1, n % 28 + 1)
      var text = """
        ---
        uuid: pack-\(n)
        title: "Outage number \(n) of the payment API"
        start_time: \(day)T08:00:00Z
        end_time: \(day)T09:30:00Z
        summary: "Summary of outage \(n)."
        ---

        # Outage \(n)

        | Time | Event |
        |------|-------|
        | \(day) 08:05 | alert \(n) fired |
        | \(day) 08:40 | rollback \(n) started |

        """
      if n == 1 { text += "Rollback finished. {{< track \"\(day)T09:10:00Z\" >}}\n" }
      if n == 2 { text = text.replacingOccurrences(of: "\n", with: "\r\n") + "Escape \u{1B} here\r\n" }
      try Data(text.utf8).write(to: folder.appendingPathComponent(String(format: "pm-%03d.md", n)))
    }
  }

  @Test func aLongImportIsOnePackOfExactlyItsObjects() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let source = box.path("postmortems")
    try Self.write(Self.count, to: source)
    let objects = repo.appendingPathComponent(".git/objects")
    let looseBefore = try Self.looseObjects(objects)

    let r = try box.incident(["import", "markdown", source.path, "--json"], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    let report = try #require(try box.json(r.stdout) as? [String: Any])
    let imported = try #require(report["imported"] as? [[String: Any]])
    #expect(imported.count == Self.count)
    #expect((report["warnings"] as? [String] ?? []).contains { $0.contains("pm-002.md: removed control or bidirectional characters (U+001B)") })
    #expect(try box.commitCount(in: repo) == Self.count + 1)

    // One pack, no new loose object, and the pack holds exactly the new history: per incident
    // one commit, its three files and four trees (root, incidents, the year, the incident).
    #expect(try Self.looseObjects(objects) == looseBefore)
    let pack = try FileManager.default.contentsOfDirectory(atPath: objects.appendingPathComponent("pack").path)
    #expect(pack.filter { $0.hasSuffix(".pack") }.count == 1, "\(pack)")
    let index = try #require(pack.first { $0.hasSuffix(".idx") })
    let kinds = try box.git(["verify-pack", "-v", objects.appendingPathComponent("pack/\(index)").path], in: repo)
      .split(separator: "\n").compactMap { line -> Substring? in
        let fields = line.split(separator: " ")
        return fields.count >= 3 && fields[0].count == 40 ? fields[1] : nil
      }
    #expect(kinds.filter { $0 == "commit" }.count == Self.count)
    #expect(kinds.filter { $0 == "blob" }.count == 3 * Self.count)
    #expect(kinds.filter { $0 == "tree" }.count == 4 * Self.count)
    let fsck = try box.run("/usr/bin/git", ["fsck", "--strict", "--no-dangling"], in: repo, env: [:])
    #expect(fsck.status == 0 && fsck.stdout.isEmpty && fsck.stderr.isEmpty, "\(fsck.stdout)\(fsck.stderr)")
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")

    // git log agrees with the records: one commit per incident folder, with its trailers, and
    // the committed files are the work tree's.
    let listed = try #require(try box.json(try box.incident(["list", "--json"], in: repo).stdout) as? [[String: Any]])
    #expect(listed.count == Self.count)
    for item in imported {
      let id = try #require(item["id"] as? String)
      let sourceID = try #require((item["source"] as? [String: String])?["id"])
      let n = try #require(Int(sourceID.dropFirst("pack-".count)))
      let folder = "incidents/2021/\(id)"
      let log = try box.git(["log", "--format=%s%n%(trailers:only,unfold)%x00", "--", folder], in: repo)
        .split(separator: "\0").map { $0.trimmingCharacters(in: .newlines) }.filter { !$0.isEmpty }
      #expect(log.count == 1, "\(id): one commit")
      let message = try #require(log.first)
      #expect(message.hasPrefix("\(id): imported markdown:pack-\(n): SEV3 outage resolved: Outage number \(n) of the payment API\n"), "\(message)")
      for trailer in ["Incident: \(id)", "Incident-Change: import", "Incident-Import-Step: declare", "Incident-Source: markdown:pack-\(n)"] {
        #expect(message.contains(trailer + "\n"), "\(id): \(trailer)")
      }
      for file in ["incident.yaml", "timeline.yaml", "postmortem.md"] {
        let committed = try box.git(["show", "HEAD:\(folder)/\(file)"], in: repo)
        let onDisk = try String(contentsOf: repo.appendingPathComponent("\(folder)/\(file)"), encoding: .utf8)
        #expect(committed == onDisk, "\(folder)/\(file)")
      }
      let record = try #require(listed.first { $0["id"] as? String == id })
      #expect(record["title"] as? String == "Outage number \(n) of the payment API")
      let timeline = try box.git(["show", "HEAD:\(folder)/timeline.yaml"], in: repo)
      #expect(timeline.contains("text: alert \(n) fired\n") && timeline.contains("text: rollback \(n) started\n"), "\(timeline)")
      if n == 1 { #expect(timeline.contains("text: Rollback finished.\n"), "\(timeline)") }
      if n == 2 {
        let postmortem = try box.git(["show", "HEAD:\(folder)/postmortem.md"], in: repo)
        #expect(postmortem.contains("Escape  here\n") && !postmortem.contains("\r"), "\(postmortem)")
      }
    }
  }

  /// With 128 files or more, they are parsed on every core (``Parallel``): the result must be
  /// what one thread gives, in file order.
  @Test func filesParsedInParallelImportInFileOrder() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let source = box.path("postmortems")
    let count = 150
    try Self.write(count, to: source)
    let r = try box.incident(["import", "markdown", source.path, "--json"], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    let report = try #require(try box.json(r.stdout) as? [String: Any])
    let imported = try #require(report["imported"] as? [[String: Any]])
    #expect(imported.compactMap { ($0["source"] as? [String: String])?["id"] } == (0..<count).map { "pack-\($0)" })
    #expect((report["warnings"] as? [String] ?? []).filter { $0.contains("removed control") }.count == 1)
    // One commit per file, oldest first in file order, each with its own title.
    let subjects = try box.git(["log", "--reverse", "--format=%s"], in: repo).split(separator: "\n").dropFirst()
    #expect(subjects.count == count)
    for (n, subject) in subjects.enumerated() {
      #expect(subject.hasSuffix("imported markdown:pack-\(n): SEV3 outage resolved: Outage number \(n) of the payment API"), "\(subject)")
    }
    let listed = try #require(try box.json(try box.incident(["list", "--json"], in: repo).stdout) as? [[String: Any]])
    #expect(Set(listed.compactMap { $0["title"] as? String }) == Set((0..<count).map { "Outage number \($0) of the payment API" }))
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")
  }

  /// The new files of a long import go into the work tree while its objects are written; when
  /// the branch cannot be moved (here a stale `main.lock`, as a crashed git leaves) the import
  /// waits a second for the lock, then stops naming the lock file and takes the files back, so
  /// the work tree, index and branch stay as they were (the objects were written once, as one
  /// pack nothing refers to), and it succeeds once the lock is gone.
  @Test func anImportThatDoesNotLandLeavesTheWorkTreeAsItWas() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let source = box.path("postmortems")
    try Self.write(Self.count, to: source)
    let tip = try box.git(["rev-parse", "HEAD"], in: repo)
    let lock = repo.appendingPathComponent(".git/refs/heads/main.lock")
    try Data().write(to: lock)

    let refused = try box.incident(["import", "markdown", source.path], in: repo)
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("refs/heads/main is locked by another process (\(lock.path) exists); nothing was changed. If no git command is running, a crashed one left the lock: remove the file and run the command again"), "\(refused.stderr)")
    let packs = try FileManager.default.contentsOfDirectory(atPath: repo.appendingPathComponent(".git/objects/pack").path)
    #expect(packs.filter { $0.hasSuffix(".pack") }.count == 1, "one attempt: \(packs)")
    #expect(try box.git(["rev-parse", "HEAD"], in: repo) == tip)
    #expect(!FileManager.default.fileExists(atPath: repo.appendingPathComponent("incidents/2021").path))
    #expect(try box.git(["status", "--porcelain", "--untracked-files=all"], in: repo) == "")

    try FileManager.default.removeItem(at: lock)
    let r = try box.incident(["import", "markdown", source.path, "--json"], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    let report = try #require(try box.json(r.stdout) as? [String: Any])
    #expect((report["imported"] as? [[String: Any]])?.count == Self.count)
    #expect(try FileManager.default.contentsOfDirectory(atPath: repo.appendingPathComponent("incidents/2021").path).count == Self.count)
    #expect(try box.git(["status", "--porcelain", "--untracked-files=all"], in: repo) == "")
  }

  /// The loose object files under `objects` (`ab/cdef...`).
  static func looseObjects(_ objects: URL) throws -> Set<String> {
    var out = Set<String>()
    for dir in try FileManager.default.contentsOfDirectory(atPath: objects.path) where dir.count == 2 {
      for file in try FileManager.default.contentsOfDirectory(atPath: objects.appendingPathComponent(dir).path) {
        out.insert(dir + file)
      }
    }
    return out
  }
}
