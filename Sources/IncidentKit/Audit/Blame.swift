import Foundation
import Git

/// Who last set one field of an incident, and in which commit (DESIGN section 6).
public struct BlameLine: Sendable, Equatable {
  /// The field (`severity`, `roles.commander`, `mitigated_at`).
  public var field: String
  /// The current value (as ``IncidentField/value(in:)`` gives it), nil when unset.
  public var value: String?
  /// The commit that set the current value.
  public var commit: ObjectID
  /// That commit's author, `Name <email>`.
  public var author: String
  /// That commit's author time (UTC).
  public var date: Date
  /// That commit's subject line.
  public var subject: String
  /// True when that commit has no `Incident` trailer (made with plain git).
  public var isHandEdit: Bool
  /// True when that commit is a merge whose result differs from every parent for this field.
  public var isMerge: Bool
}

extension IncidentStore {
  /// For each field of incident `query` (or only `field`), the commit that last set its
  /// current value, as `git blame` finds the commit that last set a line.
  ///
  /// Starting at HEAD, the walk moves to the first parent whose `incident.yaml` has the same
  /// value for the field, and stops at the commit none of whose parents has it: that commit set
  /// the value. Across merges it so follows the side the value came from. Each version of
  /// `incident.yaml` is parsed once (cached by blob ID).
  ///
  /// - Parameters:
  ///   - query: an incident ID, its last part or a unique prefix.
  ///   - field: one field name (``IncidentField/named(_:)``), or nil for all.
  /// - Returns: one line per field, in file order.
  /// - Throws: ``IncidentError/invalidInput(_:)`` for an unknown field name,
  ///   ``IncidentError/notFound(_:)``, ``IncidentError/invalidRecord(_:)`` when the current
  ///   `incident.yaml` is invalid, ``IncidentError/git(_:)``.
  public func blame(_ query: String, field: String? = nil) throws(IncidentError) -> [BlameLine] {
    guard let tip = try headCommitID() else { throw .notFound(query) }
    let tree = try headTree()
    let id = try resolve(query, in: tree)
    let current = try record(id, in: tree).incident
    let fields: [IncidentField]
    if let field {
      guard let f = IncidentField.named(field) else {
        let known = IncidentField.all(for: [current]).map(\.name)
        throw .invalidInput(
          "'\(field)' is not a field of incident.yaml; use one of " + known.joined(separator: ", "))
      }
      fields = [f]
    } else {
      fields = IncidentField.all(for: [current])
    }
    var walker = FieldWalker(store: self, id: id)
    var lines: [BlameLine] = []
    do {
      for f in fields {
        let value = f.value(in: current)
        var at = tip
        walk: while true {
          for parent in try walker.parents(of: at) {
            if let incident = try walker.incident(at: parent), f.value(in: incident) == value {
              at = parent
              continue walk
            }
          }
          break
        }
        let commit = try repository.commit(at)
        lines.append(
          BlameLine(
            field: f.name, value: value, commit: at, author: commit.author.formatted,
            date: commit.author.date, subject: commit.summary,
            isHandEdit: !commit.trailers.contains { $0.key == "Incident" },
            isMerge: commit.parentIDs.count > 1))
      }
    } catch {
      throw .git(error)
    }
    return lines
  }

  /// The commit HEAD points at (branch tip or detached), nil on an unborn branch.
  func headCommitID() throws(IncidentError) -> ObjectID? {
    do {
      switch try repository.head() {
      case .branch(_, let id): return id
      case .detached(let id): return id
      }
    } catch {
      throw .git(error)
    }
  }
}

/// Reads one incident's `incident.yaml` at many commits, parsing each blob once.
struct FieldWalker {
  let store: IncidentStore
  let id: IncidentID
  var blobAt: [ObjectID: ObjectID?] = [:]
  var parsed: [ObjectID: Incident?] = [:]
  var parentsOf: [ObjectID: [ObjectID]] = [:]

  init(store: IncidentStore, id: IncidentID) {
    self.store = store
    self.id = id
  }

  mutating func parents(of commit: ObjectID) throws(GitError) -> [ObjectID] {
    if let hit = parentsOf[commit] { return hit }
    let parents = try store.repository.commit(commit).parentIDs
    parentsOf[commit] = parents
    return parents
  }

  /// The incident at `commit`, nil when the file is missing or does not parse.
  mutating func incident(at commit: ObjectID) throws(GitError) -> Incident? {
    let blob: ObjectID?
    if let hit = blobAt[commit] {
      blob = hit
    } else {
      blob = try store.repository.commit(commit).tree().entry(atPath: RecordPaths.incident(id))?.id
      blobAt[commit] = blob
    }
    guard let blob else { return nil }
    if let hit = parsed[blob] { return hit }
    let data = try store.repository.blob(blob)
    let incident = try? RecordCodec.decodeIncident(data, file: RecordPaths.incident(id), checkOrder: false)
    parsed[blob] = incident
    return incident
  }
}
