import Foundation
import Yams

/// A scalar (or whole-value) conflict the structural merge could not settle by itself: both
/// sides changed the same value differently.
struct FieldConflict {
  /// Where the value is: mapping keys and `[id]` for list items, for example
  /// `["roles", "commander"]` or `["events", "[ev-1x2y]", "text"]`.
  var path: [String]
  var base: Node?
  var ours: Node?
  var theirs: Node?

  /// The path as people read it: `roles.commander`, `events[ev-1x2y].text`.
  var dotted: String {
    var out = ""
    for part in path {
      if part.hasPrefix("[") { out += part } else { out += out.isEmpty ? part : "." + part }
    }
    return out
  }
}

/// How a conflict was settled: the value kept and the value that lost.
struct FieldResolution {
  var conflict: FieldConflict
  /// The value kept (nil: the key is absent).
  var kept: Node?
  /// The value that lost (nil: the losing side had removed the key).
  var lost: Node?
  /// Why, for people: "later change (2026-11-29T10:05:00Z against 2026-11-29T10:01:00Z)".
  var reason: String
}

/// A generic three-way merge of YAML trees (Yams `Node`s), knowing nothing of the fields:
///
/// - mappings merge key by key;
/// - lists of mappings that all carry an identity key (`id`, else `name`, `by`, `reviewer` or
///   `email`, whichever every item has, unique) merge as a union by that key, each item merged
///   field by field; an item removed on one side and unchanged on the other is removed; the
///   result keeps the base's order, then our new items, then theirs, and is sorted by `at`
///   when every item has an RFC 3339 `at`;
/// - lists of scalars merge as sets (an item removed on one side is removed, items added on
///   either side are kept);
/// - anything else (a scalar, or a list of another shape) that both sides changed differently
///   is a ``FieldConflict`` handed to `resolve`.
///
/// A value one side changed and the other kept is taken from the side that changed it.
struct StructuralMerge {
  /// Settles a conflict; returns the value to keep (nil removes the key) and why.
  var resolve: (FieldConflict) -> (kept: Node?, reason: String)
  /// Every conflict settled during ``merge(base:ours:theirs:path:)``, in tree order.
  private(set) var resolutions: [FieldResolution] = []

  init(resolve: @escaping (FieldConflict) -> (kept: Node?, reason: String)) {
    self.resolve = resolve
  }

  static let identityKeys = ["id", "name", "by", "reviewer", "email"]

  mutating func merge(base: Node?, ours: Node?, theirs: Node?, path: [String] = []) -> Node? {
    if Self.same(ours, theirs) { return ours }
    if Self.same(base, ours) { return theirs }
    if Self.same(base, theirs) { return ours }
    switch (ours, theirs) {
    case (.mapping(let o)?, .mapping(let t)?):
      var b: Node.Mapping?
      if case .mapping(let m)? = base { b = m }
      return .mapping(mergeMappings(b, o, t, path: path))
    case (.sequence(let o)?, .sequence(let t)?):
      var b: Node.Sequence?
      if case .sequence(let s)? = base { b = s }
      if let key = Self.identityKey([b, o, t].compactMap { $0 }) {
        return .sequence(mergeIdentified(b, o, t, key: key, path: path))
      }
      if [b, o, t].compactMap({ $0 }).allSatisfy({ $0.allSatisfy { if case .scalar = $0 { true } else { false } } }) {
        return .sequence(Self.mergeScalarSets(b, o, t))
      }
    default:
      break
    }
    let conflict = FieldConflict(path: path, base: base, ours: ours, theirs: theirs)
    let (kept, reason) = resolve(conflict)
    let lost = Self.same(kept, ours) ? theirs : ours
    resolutions.append(FieldResolution(conflict: conflict, kept: kept, lost: lost, reason: reason))
    return kept
  }

  private mutating func mergeMappings(
    _ b: Node.Mapping?, _ o: Node.Mapping, _ t: Node.Mapping, path: [String]
  ) -> Node.Mapping {
    func lookup(_ m: Node.Mapping?) -> [String: Node] {
      var out: [String: Node] = [:]
      for (k, v) in m ?? Node.Mapping([]) { out[Self.text(k)] = v }
      return out
    }
    let bm = lookup(b)
    let om = lookup(o)
    let tm = lookup(t)
    var order: [String] = o.map { Self.text($0.key) }
    for (k, _) in t where om[Self.text(k)] == nil { order.append(Self.text(k)) }
    for (k, _) in b ?? Node.Mapping([]) where !order.contains(Self.text(k)) { order.append(Self.text(k)) }
    let decided = mergeGroups(bm, om, tm, path: path)
    var pairs: [(Node, Node)] = []
    for key in order {
      if let fixed = decided[key] {
        if let fixed { pairs.append((Node(key), fixed)) }
        continue
      }
      if let value = merge(base: bm[key], ours: om[key], theirs: tm[key], path: path + [key]) {
        pairs.append((Node(key), value))
      }
    }
    return Node.Mapping(pairs, o.tag, o.style)
  }

  /// Fields that belong together and are taken from one side when both sides changed them
  /// differently, keyed by the time field that decides which side: an action item's or task's
  /// completion (`status`, `done_at`, `done_by`) and an approval's or event's `by` and `at`.
  static let groups: [(time: String, keys: [String])] = [
    ("done_at", ["status", "done_at", "done_by"]),
    ("at", ["at", "by"]),
  ]

  /// Settles each group (``groups``) both sides changed differently, in a mapping that has the
  /// group's time field in some version: the whole group comes from the side whose time is
  /// later (ties and missing times: the fixed order, the larger text); every field that
  /// differed is recorded as a resolution.
  ///
  /// - Returns: the decided value per key (nil inside: the key is absent); keys not decided
  ///   are merged one by one.
  private mutating func mergeGroups(_ b: [String: Node], _ o: [String: Node], _ t: [String: Node], path: [String])
    -> [String: Node?]
  {
    var out: [String: Node?] = [:]
    for group in Self.groups where b[group.time] != nil || o[group.time] != nil || t[group.time] != nil {
      guard group.keys.allSatisfy({ out[$0] == nil }) else { continue }
      func sub(_ m: [String: Node]) -> Node {
        .mapping(Node.Mapping(group.keys.compactMap { k in m[k].map { (Node(k), $0) } }))
      }
      let bg = sub(b), og = sub(o), tg = sub(t)
      if Self.same(og, tg) || Self.same(bg, og) || Self.same(bg, tg) { continue }
      if group.keys.filter({ !Self.same(o[$0], t[$0]) }).count < 2 { continue }
      let ot = o[group.time].flatMap { Self.scalarText($0) }.flatMap(RFC3339.parse)
      let tt = t[group.time].flatMap { Self.scalarText($0) }.flatMap(RFC3339.parse)
      let takeOurs: Bool
      let reason: String
      if let ot, let tt, ot != tt {
        takeOurs = ot > tt
        reason = "kept with \(group.keys.joined(separator: ", ")) from the side whose \(group.time) is later (\(RFC3339.format(max(ot, tt))))"
      } else {
        takeOurs = Self.display(og) >= Self.display(tg)
        reason = "kept with \(group.keys.joined(separator: ", ")) from one side; no later \(group.time) decides, so the larger value is kept"
      }
      let from = takeOurs ? o : t
      let other = takeOurs ? t : o
      for key in group.keys {
        out[key] = .some(from[key])
        if !Self.same(o[key], t[key]) {
          let conflict = FieldConflict(path: path + [key], base: b[key], ours: o[key], theirs: t[key])
          resolutions.append(FieldResolution(conflict: conflict, kept: from[key], lost: other[key], reason: reason))
        }
      }
    }
    return out
  }

  static func scalarText(_ node: Node) -> String? {
    if case .scalar(let s) = node { return s.string }
    return nil
  }

  private mutating func mergeIdentified(
    _ b: Node.Sequence?, _ o: Node.Sequence, _ t: Node.Sequence, key: String, path: [String]
  ) -> Node.Sequence {
    func index(_ s: Node.Sequence?) -> (ids: [String], items: [String: Node]) {
      var ids: [String] = []
      var items: [String: Node] = [:]
      for item in s ?? Node.Sequence([]) {
        let id = Self.identity(of: item, key: key) ?? ""
        ids.append(id)
        items[id] = item
      }
      return (ids, items)
    }
    let bi = index(b)
    let oi = index(o)
    let ti = index(t)
    var order = bi.ids
    var seen = Set(order)
    for id in oi.ids + ti.ids where seen.insert(id).inserted { order.append(id) }
    var out: [Node] = []
    for id in order {
      if let item = merge(base: bi.items[id], ours: oi.items[id], theirs: ti.items[id], path: path + ["[\(id)]"]) {
        out.append(item)
      }
    }
    let times = out.map { item -> Date? in
      guard case .mapping(let m) = item, let at = m["at"], case .scalar(let s) = at else { return nil }
      return RFC3339.parse(s.string)
    }
    if !out.isEmpty, times.allSatisfy({ $0 != nil }) {
      out = zip(out, times).enumerated().sorted { a, b in
        a.element.1! != b.element.1! ? a.element.1! < b.element.1! : a.offset < b.offset
      }.map { $0.element.0 }
    }
    return Node.Sequence(out, o.tag, o.style)
  }

  static func mergeScalarSets(_ b: Node.Sequence?, _ o: Node.Sequence, _ t: Node.Sequence) -> Node.Sequence {
    let bs = Set((b ?? Node.Sequence([])).map(text))
    let os = Set(o.map(text))
    let ts = Set(t.map(text))
    var out: [Node] = []
    var seen = Set<String>()
    for item in o where !(bs.contains(text(item)) && !ts.contains(text(item))) {
      if seen.insert(text(item)).inserted { out.append(item) }
    }
    for item in t where !os.contains(text(item)) && !bs.contains(text(item)) {
      if seen.insert(text(item)).inserted { out.append(item) }
    }
    return Node.Sequence(out, o.tag, o.style)
  }

  /// The first identity key that every item of every version has as a scalar, unique within
  /// each version; nil when the lists are not lists of identified mappings.
  static func identityKey(_ versions: [Node.Sequence]) -> String? {
    let items = versions.flatMap { Array($0) }
    guard !items.isEmpty else { return nil }
    for key in identityKeys {
      let ok = versions.allSatisfy { version in
        var ids = Set<String>()
        return version.allSatisfy { item in
          guard let id = identity(of: item, key: key) else { return false }
          return ids.insert(id).inserted
        }
      }
      if ok { return key }
    }
    return nil
  }

  static func identity(of item: Node, key: String) -> String? {
    guard case .mapping(let m) = item, let value = m[key], case .scalar(let s) = value,
      !s.string.isEmpty
    else { return nil }
    return s.string
  }

  /// Equality of meaning: scalars by text, mappings by keys and values whatever their order,
  /// sequences item by item.
  static func same(_ a: Node?, _ b: Node?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (.scalar(let x)?, .scalar(let y)?): return x.string == y.string
    case (.sequence(let x)?, .sequence(let y)?):
      return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    case (.mapping(let x)?, .mapping(let y)?):
      guard x.count == y.count else { return false }
      var ym: [String: Node] = [:]
      for (k, v) in y { ym[text(k)] = v }
      return x.allSatisfy { pair in ym[text(pair.key)].map { same(pair.value, $0) } ?? false }
    default: return false
    }
  }

  /// A scalar's text, or a collection's canonical YAML text.
  static func text(_ node: Node) -> String {
    if case .scalar(let s) = node { return s.string }
    return CanonicalYAML.emit(CanonicalYAML.canonical(node))
  }

  /// The text of an optional value for comparisons and messages (`(none)` when absent).
  static func display(_ node: Node?) -> String {
    guard let node else { return "(none)" }
    return text(node).trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
