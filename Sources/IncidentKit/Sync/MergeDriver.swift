import Foundation
import Git

/// `git incident merge-driver %O %A %B %P`: the record merge for git's own `merge` and `pull`
/// (gitattributes(5), "Defining a custom merge driver").
///
/// git calls the driver once per file changed on both sides, with the common ancestor's, our
/// and their versions in temporary files. The driver leaves the result in the file named by
/// `%A` and exits 0; on a true text conflict it exits 1 and leaves `%A` as our version (never
/// with conflict markers), so git records the conflict and the other versions stay available
/// with `git checkout --theirs`.
///
/// To merge `incident.yaml` by the time of each side's changes and to write `merge` events,
/// the driver needs the incident's other files: during `git merge`/`git pull`, git names the
/// commit being merged in the environment (`GITHEAD_<commit>`), so the driver reads the
/// incident folder from HEAD, that commit and their merge base, and produces exactly the file
/// `git incident sync` would. A `merge` event is written only when git also calls the driver for
/// the incident's `timeline.yaml` (both sides changed it); otherwise the driver says on standard
/// error that the losing value is not recorded, and `git incident sync` should be used. During
/// a rebase, cherry-pick or revert there is no merge context: the driver exits 1 and says so.
/// Two incidents declared under one ID on both sides make it exit 1 too (sync keeps both).
public enum MergeDriver {
  /// The result of one driver run.
  public struct Outcome: Sendable {
    /// 0 merged, 1 conflict.
    public var exitCode: Int32
    /// What to print on standard error.
    public var messages: [String]
  }

  /// Merges the file at `path` (repository-relative, `%P`) from the three temporary files.
  ///
  /// - Parameters:
  ///   - base: `%O`, the ancestor's version.
  ///   - ours: `%A`, our version; overwritten with the result.
  ///   - theirs: `%B`, their version.
  ///   - path: `%P`.
  ///   - repository: the repository git runs in (for the incident's other files), if any.
  ///   - environment: the process environment (for `GITHEAD_<commit>`).
  public static func run(
    base: String, ours: String, theirs: String, path: String, repository: Repository?,
    environment: [String: String]
  ) -> Outcome {
    let fm = FileManager.default
    if let repository, let operation = replaying(repository) {
      return Outcome(exitCode: 1, messages: [
        "\(path) is left as your version: \(operation) is not supported for record files, because the merge driver then has no merge context (no merge base and commits for the incident's other files) and would pick values by text order; run `git \(operation.split(separator: " ")[1]) --abort`, then `git pull --no-rebase` or `git incident sync`"
      ])
    }
    var versions = FileVersions(
      base: fm.contents(atPath: base), ours: fm.contents(atPath: ours), theirs: fm.contents(atPath: theirs))
    do {
      let merged: Data?
      var notes: [String] = []
      if let folder = TreeWalk.folder(of: path) {
        let name = String(path.dropFirst(folder.count + 1))
        let context = (try? context(folder: folder, repository: repository, environment: environment))
        var files = context ?? [:]
        // git passes an empty %O for a file both sides added: absent, not an empty file.
        if versions.base?.isEmpty == true, context != nil, files[name]?.base == nil { versions.base = nil }
        if let refusal = collision(folder: folder, name: name, files: files) {
          return Outcome(exitCode: 1, messages: [refusal])
        }
        files[name] = versions
        let result = try RecordMerge.mergeIncident(folder: folder, files: files, target: name)
        merged = result.files[name] ?? versions.ours
        notes = result.notes.filter { $0.hasPrefix(path + ":") }
        // The merge events land only if git calls the driver for timeline.yaml too, which it
        // does only when both sides changed it; a per-file call cannot write another file.
        let t = files["timeline.yaml"]
        let timelineMerged = context != nil && name != "timeline.yaml" && t != nil
          && t!.ours != t!.theirs && t!.base != t!.ours && t!.base != t!.theirs
        if name != "timeline.yaml", !timelineMerged {
          notes = notes.map(unrecorded)
        }
      } else {
        let result = try RecordMerge.mergeFile(path: path, versions)
        merged = result.0
        notes = result.1.map { "\(path): \($0.conflict.dotted): kept \(StructuralMerge.display($0.kept)), the other value was \(StructuralMerge.display($0.lost))" }
      }
      try (merged ?? Data()).write(to: URL(fileURLWithPath: ours))
      return Outcome(exitCode: 0, messages: notes)
    } catch let conflict as MergeConflict {
      return Outcome(exitCode: 1, messages: [conflict.description + "; " + path + " is left as your version: merge it by hand, or take theirs with `git checkout --theirs -- " + path + "`"])
    } catch {
      return Outcome(exitCode: 1, messages: ["cannot merge \(path): \(error)"])
    }
  }

  /// A note saying a value was recorded in a merge event, rewritten for a driver call that
  /// cannot record it.
  static func unrecorded(_ note: String) -> String {
    let marker = ", recorded "
    if note.hasSuffix(" in a merge event"), let at = note.range(of: marker, options: .backwards) {
      let lost = note[at.upperBound...].dropLast(" in a merge event".count)
      return note[..<at.lowerBound] + "; the losing value \(lost) is not recorded in the timeline by `git pull`; use `git incident sync` to record it"
    }
    return note + " (not recorded in the timeline by `git pull`; use `git incident sync` to record it)"
  }

  /// `git rebase` or `git cherry-pick`/`git revert` in progress (git's state files in the git
  /// folder) and no merge: the operation replays commits, so the driver has no merge context.
  static func replaying(_ repository: Repository) -> String? {
    let git = repository.gitDirectory
    let fm = FileManager.default
    if fm.fileExists(atPath: git + "/MERGE_HEAD") { return nil }
    if fm.fileExists(atPath: git + "/rebase-merge") || fm.fileExists(atPath: git + "/rebase-apply")
      || fm.fileExists(atPath: git + "/REBASE_HEAD")
    {
      return "git rebase"
    }
    if fm.fileExists(atPath: git + "/CHERRY_PICK_HEAD") || fm.fileExists(atPath: git + "/sequencer") {
      return "git cherry-pick"
    }
    if fm.fileExists(atPath: git + "/REVERT_HEAD") { return "git revert" }
    return nil
  }

  /// Two incidents declared under one ID on the two sides (`incident.yaml` absent in the base,
  /// different `declared` events): `git incident sync` keeps both under two IDs; a per-file
  /// driver call cannot move files, so it refuses rather than mix two incidents into one.
  static func collision(folder: String, name: String, files: [String: FileVersions]) -> String? {
    guard let incident = files["incident.yaml"], incident.base == nil, incident.ours != nil, incident.theirs != nil,
      let timeline = files["timeline.yaml"]
    else { return nil }
    let o = RecordMerge.events(timeline.ours).first { $0.type == "declared" }
    let t = RecordMerge.events(timeline.theirs).first { $0.type == "declared" }
    guard let o, let t, o.id != t.id else { return nil }
    let id = folder.split(separator: "/").last.map(String.init) ?? folder
    return "\(folder)/\(name) is left as your version: \(id) was declared on both sides as two different incidents (declared events \(o.id) and \(t.id)); `git pull` cannot keep both, so abort with `git merge --abort` and run `git incident sync`, which keeps both under two IDs"
  }

  /// The incident folder's files from HEAD, the commit being merged (`GITHEAD_<commit>`) and
  /// their merge base.
  static func context(folder: String, repository: Repository?, environment: [String: String]) throws -> [String: FileVersions] {
    guard let repository,
      let theirsHex = environment.keys.first(where: { $0.hasPrefix("GITHEAD_") }).map({ String($0.dropFirst(8)) }),
      let theirsID = ObjectID(hex: theirsHex)
    else { return [:] }
    let oursID = try repository.resolveCommit("HEAD")
    let baseID = try repository.mergeBase(oursID, theirsID)
    var files: [String: FileVersions] = [:]
    let ids = [baseID, oursID, theirsID]
    for (i, id) in ids.enumerated() {
      guard let id, let sub = try repository.commit(id).tree().subtree(atPath: folder) else { continue }
      for e in sub.entries where e.kind == .blob {
        var v = files[e.name] ?? FileVersions()
        let d = try repository.blob(e.id)
        switch i {
        case 0: v.base = d
        case 1: v.ours = d
        default: v.theirs = d
        }
        files[e.name] = v
      }
    }
    return files
  }

  /// The `.gitattributes` lines that route record files to this driver.
  public static let attributes = "incidents/** merge=incident\ngit-incident.yaml merge=incident\n"
  /// The driver command git runs (`merge.incident.driver`).
  public static let command = "git-incident merge-driver %O %A %B %P"
  /// The driver's name for people (`merge.incident.name`).
  public static let name = "git-incident record merge"
}
