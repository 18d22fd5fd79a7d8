import Foundation
import Git
import Yams

/// One file's three versions in a merge; nil means the file is absent in that version.
struct FileVersions {
  var base: Data?
  var ours: Data?
  var theirs: Data?
}

/// A merge that needs a person: git's text merge of a postmortem body (or another non-record
/// file) found the same lines changed on both sides.
public struct MergeConflict: Error, Sendable, CustomStringConvertible {
  /// The repository-relative file.
  public var file: String
  /// The Markdown sections (nearest `#` heading above each conflict), empty for other files.
  public var sections: [String]
  /// The whole message, when the conflict is not about lines of text (a file removed on one
  /// side and changed on the other, a record that does not parse).
  public var reason: String?

  init(file: String, sections: [String], reason: String? = nil) {
    self.file = file
    self.sections = sections
    self.reason = reason
  }

  public var description: String {
    if let reason { return reason }
    if sections.isEmpty { return "\(file) was changed on both sides in the same lines" }
    return "\(file) was changed on both sides in the same lines of section"
      + (sections.count == 1 ? " " : "s ") + sections.map { "'\($0)'" }.joined(separator: ", ")
  }
}

/// The per-file and per-incident record merge of DESIGN section 5.
///
/// Every YAML record file is merged as a tree by ``StructuralMerge``; `incident.yaml` adds the
/// incident rules: a field both sides changed takes the later change, timed by the latest
/// timeline event on each side that made that kind of change (ties: the larger value, by text),
/// and a `merge` event records the value that lost; then the lifecycle's time order is checked
/// and, when broken, the earlier status is kept and the reason recorded. `postmortem.md` merges
/// its front matter as fields and its body with git's text merge. Nothing is ever written with
/// conflict markers: a true text conflict throws ``MergeConflict``.
enum RecordMerge {
  /// Who merge events are recorded as (the merge commit's author is the person who merged).
  static let mergeActor = "git-incident merge"

  // MARK: One incident folder

  /// Merges all files of one incident folder.
  ///
  /// - Parameters:
  ///   - folder: `incidents/<year>/<ID>`.
  ///   - files: file name (within the folder) to its three versions, for every file present in
  ///     any version.
  /// - Returns: the merged files (nil: remove) and notes for people.
  /// - Throws: ``MergeConflict`` for a true text conflict or a merge that is not a valid record.
  ///   - target: for git's merge driver, the one file git asked for: a conflict in another
  ///     file (merged only for the events and actions it contributes) does not stop it; that
  ///     file is left as ours in the result.
  static func mergeIncident(folder: String, files: [String: FileVersions], target: String? = nil)
    throws(MergeConflict) -> (files: [String: Data?], notes: [String])
  {
    var out: [String: Data?] = [:]
    var notes: [String] = []
    var mergeEvents: [Node] = []
    let timelineVersions = files["timeline.yaml"] ?? FileVersions()
    let baseEvents = events(timelineVersions.base)
    let oursEvents = events(timelineVersions.ours)
    let theirsEvents = events(timelineVersions.theirs)
    let seed = mergeSeed(files)

    for name in files.keys.sorted() where name != "timeline.yaml" {
      let versions = files[name]!
      let path = folder + "/" + name
      if let target, target != name {
        // Merged for what it contributes to the target; its own conflict is git's to report.
        let checked: Void? = try? {
          () throws(MergeConflict) in
          if name == "incident.yaml" {
            _ = try mergeIncidentFile(path: path, versions, base: baseEvents, ours: oursEvents, theirs: theirsEvents, seed: seed)
          } else {
            _ = try mergeFile(path: path, versions)
          }
        }()
        if checked == nil {
          out[name] = versions.ours
          continue
        }
      }
      if name == "incident.yaml" {
        let (data, resolutions, extra) = try mergeIncidentFile(
          path: path, versions, base: baseEvents, ours: oursEvents, theirs: theirsEvents, seed: seed)
        out[name] = data
        for r in resolutions {
          mergeEvents.append(event(for: r, file: name, at: r.at, seed: seed))
          notes.append("\(path): \(r.resolution.conflict.dotted): kept \(StructuralMerge.display(r.resolution.kept)), recorded \(StructuralMerge.display(r.resolution.lost)) in a merge event")
        }
        mergeEvents += extra.events
        notes += extra.notes
      } else {
        let (data, resolutions) = name == "postmortem.md"
          ? try mergePostmortem(
            path: path, versions,
            actions: out.keys.contains("actions.yaml") ? out["actions.yaml"]! : files["actions.yaml"]?.ours)
          : try mergeFile(path: path, versions)
        out[name] = data
        for r in resolutions {
          mergeEvents.append(event(for: TimedResolution(resolution: r, at: nil), file: name, at: nil, seed: seed))
          notes.append("\(path): \(r.conflict.dotted): kept \(StructuralMerge.display(r.kept)), recorded \(StructuralMerge.display(r.lost)) in a merge event")
        }
      }
    }

    // The timeline last: its own merge, then the merge events.
    var timelineNode: Node?
    var timelineResolutions: [FieldResolution] = []
    if let parsed = parseAll(timelineVersions, path: folder + "/timeline.yaml") {
      var merger = StructuralMerge(resolve: tieBreak)
      timelineNode = merger.merge(base: parsed.base, ours: parsed.ours, theirs: parsed.theirs)
      timelineResolutions = merger.resolutions
    } else {
      let (data, _) = try mergeFile(path: folder + "/timeline.yaml", timelineVersions)
      timelineNode = data.flatMap { try? YAMLReader.parse($0, file: "timeline.yaml") }
    }
    for r in timelineResolutions {
      mergeEvents.append(event(for: TimedResolution(resolution: r, at: nil), file: "timeline.yaml", at: nil, seed: seed))
      notes.append("\(folder)/timeline.yaml: \(r.conflict.dotted): kept \(StructuralMerge.display(r.kept)), recorded \(StructuralMerge.display(r.lost)) in a merge event")
    }
    let anyTimeline = timelineVersions.base != nil || timelineVersions.ours != nil || timelineVersions.theirs != nil
    if anyTimeline || !mergeEvents.isEmpty {
      out["timeline.yaml"] = try finishTimeline(timelineNode, adding: mergeEvents, path: folder + "/timeline.yaml")
    }
    return (out, notes)
  }

  /// What stands in for the generated action block while `postmortem.md` is text-merged.
  static let blockPlaceholder = "<!-- git-incident:actions:merging -->"

  /// `postmortem.md` changed on both sides: the generated action block (``ActionBlock``) is
  /// replaced by one placeholder line in all three versions, so that the block's contents never
  /// take part in the text merge; the rest merges as ``mergeFile(path:_:)`` does, and the block
  /// is then rendered from the merged `actions.yaml` (`actions`). When the merged actions do not
  /// parse, our version's block is put back as it was.
  ///
  /// - Throws: ``MergeConflict`` for a true text conflict outside the block.
  static func mergePostmortem(path: String, _ v: FileVersions, actions: Data?) throws(MergeConflict)
    -> (Data?, [FieldResolution])
  {
    guard let ours = v.ours, let theirs = v.theirs, ours != theirs, v.base != ours, v.base != theirs else {
      return try mergeFile(path: path, v)
    }
    func strip(_ data: Data?) -> (data: Data?, block: String?) {
      guard let data else { return (nil, nil) }
      let text = String(decoding: data, as: UTF8.self)
      guard let found = try? ActionBlock.locate(in: text) else { return (data, nil) }
      return (Data(text.replacingCharacters(in: found.range, with: blockPlaceholder).utf8), String(text[found.range]))
    }
    let b = strip(v.base)
    let o = strip(ours)
    let t = strip(theirs)
    guard o.block != nil || t.block != nil else { return try mergeFile(path: path, v) }
    let (merged, resolutions) = try mergeFile(path: path, FileVersions(base: b.data, ours: o.data, theirs: t.data))
    guard let merged else { return (nil, resolutions) }
    var text = String(decoding: merged, as: UTF8.self)
    guard let at = text.range(of: blockPlaceholder) else { return (merged, resolutions) }
    let block: String
    let eol = PostmortemDocument.usesCRLF(text) ? "\r\n" : "\n"
    if let data = actions, let list = try? ActionCodec.decodeActions(data, file: "actions.yaml") {
      block = ActionBlock.render(list.items, eol: eol)
    } else if actions == nil {
      block = ActionBlock.render([], eol: eol)
    } else {
      block = o.block ?? t.block ?? ""
    }
    text.replaceSubrange(at, with: block)
    return (Data(text.utf8), resolutions)
  }

  /// A resolution with the time of the change that won (nil when no event timed it).
  struct TimedResolution {
    var resolution: FieldResolution
    var at: Date?
  }

  /// A lightweight view of a timeline event, read straight from the YAML tree.
  struct EventInfo {
    var id: String
    var at: Date?
    var type: String
    var role: String?
  }

  static func events(_ data: Data?) -> [EventInfo] {
    guard let data, let root = try? YAMLReader.parse(data, file: "timeline.yaml"),
      case .mapping(let m) = root, let list = m["events"], case .sequence(let items) = list
    else { return [] }
    return items.compactMap { item in
      guard case .mapping(let e) = item, let id = e["id"]?.string else { return nil }
      return EventInfo(
        id: id, at: e["at"]?.string.flatMap(RFC3339.parse), type: e["type"]?.string ?? "",
        role: e["role"]?.string)
    }
  }

  /// True when an event of this kind changes the field at `path` of `incident.yaml`: only
  /// events of the field's own kind time its change (`severity` events for severity, `status`
  /// events for the status, its times and the decline reason, `role` events naming the role
  /// for a role; `declared` for what a declaration sets). A commander handover or a note is
  /// not a status change.
  static func event(_ e: EventInfo, changes path: [String]) -> Bool {
    guard let key = path.first else { return false }
    switch key {
    case "severity": return e.type == "severity" || e.type == "declared"
    case "status", "declined_reason": return e.type == "status" || e.type == "declared"
    case "roles": return e.type == "role" && (path.count < 2 || e.role == path[1])
    default:
      if key.hasSuffix("_at") { return e.type == "status" || e.type == "declared" }
      return false
    }
  }

  /// The time of a side's latest new event (not in the base) that changed the field.
  static func changeTime(_ path: [String], side: [EventInfo], base: Set<String>) -> Date? {
    side.filter { !base.contains($0.id) && event($0, changes: path) }.compactMap(\.at).max()
  }

  /// The fixed order for ties: the value whose text is larger (absent counts as `(none)`).
  static func tieBreak(_ c: FieldConflict) -> (kept: Node?, reason: String) {
    let o = StructuralMerge.display(c.ours)
    let t = StructuralMerge.display(c.theirs)
    return (o >= t ? c.ours : c.theirs, "both sides changed it and no event dates the changes; the larger value is kept")
  }

  static func mergeIncidentFile(
    path: String, _ versions: FileVersions, base: [EventInfo], ours: [EventInfo], theirs: [EventInfo],
    seed: String = ""
  ) throws(MergeConflict) -> (Data?, [TimedResolution], (events: [Node], notes: [String])) {
    guard let parsed = parseAll(versions, path: path) else {
      let (data, _) = try mergeFile(path: path, versions)
      return (data, [], ([], []))
    }
    let baseIDs = Set(base.map(\.id))
    var times: [Date?] = []
    var merger = StructuralMerge { c in
      let o = changeTime(c.path, side: ours, base: baseIDs)
      let t = changeTime(c.path, side: theirs, base: baseIDs)
      if let o, let t, o != t {
        return (o > t ? c.ours : c.theirs, "later change: \(RFC3339.format(max(o, t))) against \(RFC3339.format(min(o, t)))")
      }
      if (o == nil) != (t == nil) {
        return (o != nil ? c.ours : c.theirs, "only one side's change is dated by an event (\(RFC3339.format((o ?? t)!)))")
      }
      if let o, o == t {
        let (kept, _) = tieBreak(c)
        return (kept, "both changes are dated \(RFC3339.format(o)); the larger value is kept")
      }
      return tieBreak(c)
    }
    guard let node = merger.merge(base: parsed.base, ours: parsed.ours, theirs: parsed.theirs) else {
      return (nil, [], ([], []))
    }
    for r in merger.resolutions {
      let o = changeTime(r.conflict.path, side: ours, base: baseIDs)
      let t = changeTime(r.conflict.path, side: theirs, base: baseIDs)
      times.append([o, t].compactMap { $0 }.max())
    }
    let timed = zip(merger.resolutions, times).map { TimedResolution(resolution: $0, at: $1) }
    let text = Data(CanonicalYAML.emit(CanonicalYAML.canonical(node)).utf8)
    var incident: Incident
    do {
      incident = try RecordCodec.decodeIncident(text, file: path, checkOrder: false)
    } catch {
      throw MergeConflict(file: path, sections: ["the merged record is not valid: \(error.description)"])
    }
    // The lifecycle's time order (DESIGN section 2), re-checked on the merged record.
    var extraEvents: [Node] = []
    var notes: [String] = []
    if incident.times.firstOrderViolation() != nil {
      let statuses = [parsed.ours, parsed.theirs].compactMap { n -> IncidentStatus? in
        guard case .mapping(let m)? = n else { return nil }
        return m["status"]?.string.flatMap(IncidentStatus.init(rawValue:))
      }
      let before = incident.status
      let kept = statuses.min { $0.rank < $1.rank } ?? incident.status
      let violation = incident.times.firstOrderViolation()!
      var removed: [String] = []
      for status in IncidentStatus.allCases where status.rank > kept.rank {
        if let field = status.timestampField, status != .declined, let date = incident.times[field] {
          incident.times[field] = nil
          removed.append("\(field) \(RFC3339.format(date))")
        }
      }
      while let v = incident.times.firstOrderViolation() {
        removed.append("\(v.later) \(RFC3339.format(v.laterAt))")
        incident.times[v.later] = nil
      }
      incident.status = kept
      let why = "\(violation.later) (\(RFC3339.format(violation.laterAt))) was before \(violation.earlier) (\(RFC3339.format(violation.earlierAt)))"
      let message = "status: the merged times broke the lifecycle order: \(why); kept the earlier status \(kept.rawValue)"
        + (removed.isEmpty ? "" : " and removed " + removed.joined(separator: ", "))
      let latest = (ours + theirs).compactMap(\.at).max() ?? Date(timeIntervalSince1970: 0)
      var pairs: [(String, Node)] = [
        ("id", CanonicalYAML.scalar(eventID("lifecycle|\(path)|\(message)|\(seed)"))),
        ("at", CanonicalYAML.time(latest)),
        ("by", CanonicalYAML.scalar(mergeActor)),
        ("type", CanonicalYAML.scalar("merge")),
      ]
      if before != kept { pairs.append(("from", CanonicalYAML.scalar(before.rawValue))) }
      pairs += [
        ("to", CanonicalYAML.scalar(kept.rawValue)),
        ("text", CanonicalYAML.scalar(message)),
        ("field", CanonicalYAML.scalar("status")),
        ("file", CanonicalYAML.scalar("incident.yaml")),
      ]
      extraEvents.append(CanonicalYAML.mapping(pairs))
      notes.append("\(path): \(message)")
    }
    // Fields derived from the status follow the status that was kept.
    let removed = incident.removeStatusContradictions()
    if !removed.isEmpty {
      let message = "status: the merged record is \(incident.status.rawValue); removed the fields that contradict it: "
        + removed.map { "\($0.field) \($0.value)" }.joined(separator: ", ")
      let latest = (ours + theirs).compactMap(\.at).max() ?? Date(timeIntervalSince1970: 0)
      extraEvents.append(CanonicalYAML.mapping([
        ("id", CanonicalYAML.scalar(eventID("status-fields|\(path)|\(message)|\(seed)"))),
        ("at", CanonicalYAML.time(latest)),
        ("by", CanonicalYAML.scalar(mergeActor)),
        ("type", CanonicalYAML.scalar("merge")),
        ("text", CanonicalYAML.scalar(message)),
        ("field", CanonicalYAML.scalar("status")),
        ("file", CanonicalYAML.scalar("incident.yaml")),
      ]))
      notes.append("\(path): \(message)")
    }
    return (RecordCodec.encodeIncident(incident), timed, (extraEvents, notes))
  }

  /// What makes one merge's event IDs differ from another's: the merge base's versions of the
  /// incident's `timeline.yaml` and `incident.yaml` (their bytes' hash). The same on every
  /// clone and for either order of the sides, so two clones that make the same merge record
  /// each event once; a later merge that meets the same conflict again (same file, field and
  /// values) starts from another base and records it again.
  static func mergeSeed(_ files: [String: FileVersions]) -> String {
    var bytes = files["timeline.yaml"]?.base ?? Data()
    bytes.append(contentsOf: Array("\u{0}".utf8))
    bytes.append(files["incident.yaml"]?.base ?? Data())
    return crockford(fnv1a(String(decoding: bytes, as: UTF8.self)), count: 13)
  }

  /// A `merge` timeline event recording a settled conflict. Its ID depends on the conflict and
  /// on the merge base (`seed`, see ``mergeSeed(_:)``), so two clones that make the same merge
  /// record the same event once, and the same conflict met again in a later merge is recorded
  /// again.
  static func event(for r: TimedResolution, file: String, at: Date?, seed: String = "") -> Node {
    let res = r.resolution
    let kept = StructuralMerge.display(res.kept)
    let lost = StructuralMerge.display(res.lost)
    let field = res.conflict.dotted
    let when = at ?? Date(timeIntervalSince1970: 0)
    var pairs: [(String, Node)] = [
      ("id", CanonicalYAML.scalar(eventID("\(file)|\(field)|\(kept)|\(lost)|\(StructuralMerge.display(res.conflict.base))|\(seed)"))),
      ("at", CanonicalYAML.time(when)),
      ("by", CanonicalYAML.scalar(mergeActor)),
      ("type", CanonicalYAML.scalar("merge")),
    ]
    if res.lost != nil { pairs.append(("from", CanonicalYAML.scalar(lost))) }
    if res.kept != nil { pairs.append(("to", CanonicalYAML.scalar(kept))) }
    pairs += [
      ("text", CanonicalYAML.scalar("\(field) was changed on both sides; kept \(kept) (\(res.reason)); the other value was \(lost)")),
      ("field", CanonicalYAML.scalar(field)),
      ("file", CanonicalYAML.scalar(file)),
    ]
    return CanonicalYAML.mapping(pairs)
  }

  /// Adds merge events (dating undated ones at the latest event) and writes the timeline in
  /// canonical form, events in time order.
  static func finishTimeline(_ node: Node?, adding: [Node], path: String) throws(MergeConflict) -> Data {
    var timeline = Timeline()
    if let node {
      do {
        timeline = try RecordCodec.decodeTimeline(Data(CanonicalYAML.emit(CanonicalYAML.canonical(node)).utf8), file: path)
      } catch {
        throw MergeConflict(file: path, sections: ["the merged timeline is not valid: \(error.description)"])
      }
    }
    let latest = timeline.events.map(\.at).max() ?? Date(timeIntervalSince1970: 0)
    let extra = CanonicalYAML.mapping([("events", CanonicalYAML.sequence(adding))])
    guard let added = try? RecordCodec.decodeTimeline(Data(CanonicalYAML.emit(extra).utf8), file: path) else {
      return RecordCodec.encodeTimeline(timeline)
    }
    let known = Set(timeline.events.map(\.id))
    for var e in added.events where !known.contains(e.id) {
      if e.at == Date(timeIntervalSince1970: 0) { e.at = latest }
      timeline.insert(e)
    }
    return RecordCodec.encodeTimeline(timeline)
  }

  /// A deterministic event ID from `seed`: `ev-` and ten Crockford base32 characters of its
  /// 64-bit FNV-1a hash.
  static func eventID(_ seed: String) -> String {
    "ev-" + crockford(fnv1a(seed), count: 10).lowercased()
  }

  static func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01b3
    }
    return hash
  }

  static func crockford(_ value: UInt64, count: Int) -> String {
    var v = value
    var chars: [UInt8] = []
    for _ in 0..<count {
      chars.append(IncidentID.crockford[Int(v & 31)])
      v >>= 5
    }
    return String(decoding: chars, as: UTF8.self)
  }

  // MARK: Any one file

  /// Parses the YAML versions of a file; nil when one of them is not valid YAML.
  static func parseAll(_ v: FileVersions, path: String) -> (base: Node?, ours: Node?, theirs: Node?)? {
    func parse(_ d: Data?) -> Node?? {
      guard let d else { return .some(nil) }
      do { return .some(try YAMLReader.parse(d, file: path)) } catch { return nil }
    }
    guard let b = parse(v.base), let o = parse(v.ours), let t = parse(v.theirs) else { return nil }
    return (b, o, t)
  }

  /// Merges one file by its kind: YAML as a tree (conflicts settled by the tie rule),
  /// `git-incident.yaml` and Markdown front matter likewise, Markdown bodies and other text by
  /// git's text merge.
  ///
  /// - Throws: ``MergeConflict`` when the text merge finds the same lines changed.
  static func mergeFile(path: String, _ v: FileVersions) throws(MergeConflict) -> (Data?, [FieldResolution]) {
    if v.ours == v.theirs { return (v.ours, []) }
    if v.base == v.ours { return (v.theirs, []) }
    if v.base == v.theirs { return (v.ours, []) }
    // Removed on one side, changed on the other: keep the change, nothing is lost.
    if v.ours == nil { return (v.theirs, []) }
    if v.theirs == nil { return (v.ours, []) }
    if path.hasSuffix(".yaml") || path.hasSuffix(".yml"), let parsed = parseAll(v, path: path) {
      var merger = StructuralMerge(resolve: tieBreak)
      guard let node = merger.merge(base: parsed.base, ours: parsed.ours, theirs: parsed.theirs) else {
        return (nil, merger.resolutions)
      }
      if path == Settings.path,
        let settings = try? RecordCodec.decodeSettings(Data(CanonicalYAML.emit(CanonicalYAML.canonical(node)).utf8), file: path)
      {
        return (RecordCodec.encodeSettings(settings), merger.resolutions)
      }
      if let canonical = canonicalRecord(path: path, node) { return (canonical, merger.resolutions) }
      let header = leadingComments(v.ours ?? v.theirs ?? Data())
      return (Data(CanonicalYAML.emit(CanonicalYAML.canonical(node), header: header).utf8), merger.resolutions)
    }
    if path.hasSuffix(".md") {
      return try mergeMarkdown(path: path, v)
    }
    return (try textMerge(path: path, base: v.base, ours: v.ours!, theirs: v.theirs!, markdown: false), [])
  }

  /// A merged record file written by its codec's canonical encoder (``ActionCodec`` for
  /// `actions.yaml` and `tasks.yaml`, ``RecordCodec`` for `incident.yaml` and
  /// `timeline.yaml`), so the merged bytes are what the tool itself would write; nil for other
  /// files and for a merge that does not parse.
  static func canonicalRecord(path: String, _ node: Node) -> Data? {
    guard TreeWalk.folder(of: path) != nil else { return nil }
    let text = Data(CanonicalYAML.emit(CanonicalYAML.canonical(node)).utf8)
    switch path.split(separator: "/").last {
    case "actions.yaml": return (try? ActionCodec.decodeActions(text, file: path)).map(ActionCodec.encodeActions)
    case "tasks.yaml": return (try? ActionCodec.decodeTasks(text, file: path)).map(ActionCodec.encodeTasks)
    case "incident.yaml":
      return (try? RecordCodec.decodeIncident(text, file: path, checkOrder: false)).map(RecordCodec.encodeIncident)
    case "timeline.yaml": return (try? RecordCodec.decodeTimeline(text, file: path)).map(RecordCodec.encodeTimeline)
    default: return nil
    }
  }

  static func leadingComments(_ data: Data) -> [String] {
    var out: [String] = []
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
      guard line.hasPrefix("#") else { break }
      out.append(line.dropFirst().trimmingCharacters(in: .whitespaces))
    }
    return out
  }

  /// Front matter as fields, the body by git's text merge.
  static func mergeMarkdown(path: String, _ v: FileVersions) throws(MergeConflict) -> (Data?, [FieldResolution]) {
    func split(_ d: Data?) -> (fm: String?, body: String)? {
      d.map { let s = FrontMatter.split(String(decoding: $0, as: UTF8.self)); return (s.frontMatter, s.body) }
    }
    let b = split(v.base)
    let o = split(v.ours)!
    let t = split(v.theirs)!
    func node(_ fm: String?) -> Node?? {
      guard let fm else { return .some(nil) }
      do { return .some(try YAMLReader.parse(Data(fm.utf8), file: path)) } catch { return nil }
    }
    guard let bn = node(b?.fm), let on = node(o.fm), let tn = node(t.fm) else {
      return (try textMerge(path: path, base: v.base, ours: v.ours!, theirs: v.theirs!, markdown: true), [])
    }
    var merger = StructuralMerge(resolve: tieBreak)
    let fm = merger.merge(base: bn, ours: on, theirs: tn)
    let body = try textMerge(
      path: path, base: b.map { Data($0.body.utf8) }, ours: Data(o.body.utf8), theirs: Data(t.body.utf8),
      markdown: true)
    var text = ""
    if let fm { text = "---\n" + CanonicalYAML.emit(CanonicalYAML.canonical(fm)) + "---\n" }
    return (Data(text.utf8) + body, merger.resolutions)
  }

  /// git's text merge; a conflict throws, naming the Markdown sections it is in.
  static func textMerge(path: String, base: Data?, ours: Data, theirs: Data, markdown: Bool) throws(MergeConflict) -> Data {
    let result: TextMergeResult
    do {
      result = try TextMerge.merge(ancestor: base ?? Data(), ours: ours, theirs: theirs)
    } catch {
      throw MergeConflict(file: path, sections: [])
    }
    if result.isClean { return result.text }
    throw MergeConflict(file: path, sections: markdown ? conflictSections(result.text) : [])
  }

  /// The nearest `#` heading above each conflict in marked-up text, in order, without repeats.
  static func conflictSections(_ text: Data) -> [String] {
    var heading = "(before the first heading)"
    var out: [String] = []
    var fence = false
    for line in String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("```") { fence.toggle() }
      if line.hasPrefix("<<<<<<<") {
        if !out.contains(heading) { out.append(heading) }
      } else if !fence, line.hasPrefix("#") {
        heading = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
      }
    }
    return out
  }
}

extension Node {
  fileprivate subscript(key: String) -> Node? {
    guard case .mapping(let m) = self else { return nil }
    return m[key]
  }
}
