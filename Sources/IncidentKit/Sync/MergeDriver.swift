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
/// `git incident sync` would. Without that context (a rebase, a cherry-pick) the file is merged
/// on its own, and conflicting fields fall back to the fixed tie order.
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
    let versions = FileVersions(
      base: fm.contents(atPath: base), ours: fm.contents(atPath: ours), theirs: fm.contents(atPath: theirs))
    do {
      let merged: Data?
      var notes: [String] = []
      if let folder = TreeWalk.folder(of: path) {
        let name = String(path.dropFirst(folder.count + 1))
        var files = (try? context(folder: folder, repository: repository, environment: environment)) ?? [:]
        files[name] = versions
        let result = try RecordMerge.mergeIncident(folder: folder, files: files, target: name)
        merged = result.files[name] ?? versions.ours
        notes = result.notes.filter { $0.hasPrefix(path + ":") }
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
