import Foundation
import Git

/// Parsed records cached under the git directory, keyed by git object ID (DESIGN section 6).
///
/// A blob's ID names its content, so a parsed `incident.yaml` or `timeline.yaml` stored under
/// its blob ID is valid forever, whatever branch or commit it is later found in; likewise an
/// incident folder's tree ID names which `incident.yaml` and `timeline.yaml` blobs it holds.
/// A query reads the tip's tree and parses only the blobs the cache has not seen.
///
/// Two files in `<git dir>/git-incident/`:
/// - `cache-v1.bin`, the snapshot: the 8 bytes `GITINCC1`, a version (`UInt32`, 1), the entry
///   count (`UInt32`), the length of the entries (`UInt64`) and their checksum (`UInt64`), then
///   the entries. It is only ever replaced whole: written to a temporary file beside it and
///   renamed over it (`rename(2)` is atomic), so a reader sees the old or the new file.
/// - `cache-v1.log`, the journal: frames appended by writes (each one `write(2)` with
///   `O_APPEND`), each with its own magic number, length and checksum. Readers stop at the
///   first frame that is incomplete or damaged.
///
/// An entry is a kind byte (1 incident, 2 timeline, 3 folder, 4 listing of the `incidents`
/// tree), the 20-byte object ID, a
/// `UInt32` length and the payload (see `CacheCoding`). Integers are little-endian.
///
/// The cache is disposable. A missing, stale (other version), truncated or damaged file is
/// ignored and rewritten by the next command that reads all incidents; nothing is ever
/// reported about it, and no command's output depends on it: an entry that cannot be decoded
/// is treated as absent and the blob is parsed. Setting `GIT_INCIDENT_CACHE=off` in the
/// environment disables it (reads and writes). Records with keys the tool does not know are
/// never cached (their unknown values are YAML nodes); they are parsed each time.
///
/// Two processes at once: the snapshot is replaced by rename; journal frames are single
/// appends; a frame written by a writer just after a reader compacted the journal may be lost,
/// which only means that blob is parsed once more.
final class RecordCache {
  enum Kind: UInt8 {
    case incident = 1
    case timeline = 2
    case folder = 3
    /// An `incidents` tree: its incident folders (ID and folder tree ID), sorted by ID.
    case listing = 4
  }

  /// What an incident folder's tree holds, by blob ID.
  struct Folder: Equatable {
    var incident: CacheKey?
    var timeline: CacheKey?
  }

  static let magic: [UInt8] = Array("GITINCC1".utf8)
  static let version: UInt32 = 1
  static let frameMagic: UInt32 = 0x314A_4947  // "GIJ1"
  static let headerSize = 8 + 4 + 4 + 8 + 8

  let directory: String
  let enabled: Bool
  var snapshotPath: String { directory + "/cache-v1.bin" }
  var journalPath: String { directory + "/cache-v1.log" }

  private struct Slot {
    var buffer: Int
    var start: Int
    var end: Int
  }

  private var buffers: [[UInt8]] = []
  private var slots: [Kind: [CacheKey: Slot]] = [
    .incident: [:], .timeline: [:], .folder: [:], .listing: [:],
  ]
  private var folders: [CacheKey: Folder] = [:]
  private var loaded = false
  /// True when the snapshot was missing, damaged or held an entry that did not decode.
  private(set) var snapshotNeedsRewrite = false
  /// Size of the journal as read, so a compaction removes only what it has read.
  private(set) var journalSize = 0
  /// Entries added by this process and not yet written anywhere.
  private var unsaved: [(Kind, CacheKey, [UInt8])] = []

  /// - Parameters:
  ///   - gitDirectory: the repository's git directory.
  ///   - environment: `GIT_INCIDENT_CACHE=off` disables the cache.
  init(gitDirectory: String, environment: [String: String]) {
    directory = gitDirectory + "/git-incident"
    enabled = environment["GIT_INCIDENT_CACHE"]?.lowercased() != "off"
  }

  /// True when this process added entries that are not on disk yet.
  var hasUnsaved: Bool { !unsaved.isEmpty }

  // MARK: Lookups

  func incident(_ blob: ObjectID) -> Incident? {
    load()
    let key = CacheKey(blob)
    guard let slot = slots[.incident]![key] else { return nil }
    var r = ByteReader(buffers[slot.buffer], from: slot.start, to: slot.end)
    guard let value = try? CacheCoding.decodeIncident(&r), r.isAtEnd else {
      drop(.incident, key)
      return nil
    }
    return value
  }

  func timeline(_ blob: ObjectID) -> Timeline? {
    load()
    let key = CacheKey(blob)
    guard let slot = slots[.timeline]![key] else { return nil }
    var r = ByteReader(buffers[slot.buffer], from: slot.start, to: slot.end)
    guard let value = try? CacheCoding.decodeTimeline(&r), r.isAtEnd else {
      drop(.timeline, key)
      return nil
    }
    return value
  }

  func folder(_ tree: ObjectID) -> Folder? {
    load()
    return folders[CacheKey(tree)]
  }

  /// The incident folders of an `incidents` tree, as (ID text, folder tree), sorted by ID.
  func listing(_ tree: ObjectID) -> [(id: String, folder: CacheKey)]? {
    load()
    let key = CacheKey(tree)
    guard let slot = slots[.listing]![key] else { return nil }
    var r = ByteReader(buffers[slot.buffer], from: slot.start, to: slot.end)
    do {
      let count = Int(try r.u32())
      try r.need(count * 24)
      var out: [(id: String, folder: CacheKey)] = []
      out.reserveCapacity(count)
      for _ in 0..<count { out.append((try r.string(), try CacheKey(reading: &r))) }
      guard r.isAtEnd else { throw ByteReader.Invalid() }
      return out
    } catch {
      drop(.listing, key)
      return nil
    }
  }

  func add(listing tree: ObjectID, _ items: [(id: String, folder: CacheKey)]) {
    guard enabled else { return }
    var w = ByteWriter()
    w.u32(UInt32(items.count))
    for item in items {
      w.string(item.id)
      item.folder.write(to: &w)
    }
    insert(.listing, CacheKey(tree), w.bytes)
  }

  private func drop(_ kind: Kind, _ key: CacheKey) {
    slots[kind]![key] = nil
    snapshotNeedsRewrite = true
  }

  // MARK: Additions

  func add(_ incident: Incident, blob: ObjectID) {
    guard enabled, let payload = CacheCoding.encode(incident) else { return }
    insert(.incident, CacheKey(blob), payload)
  }

  func add(_ timeline: Timeline, blob: ObjectID) {
    guard enabled, let payload = CacheCoding.encode(timeline) else { return }
    insert(.timeline, CacheKey(blob), payload)
  }

  func add(folder tree: ObjectID, _ folder: Folder) {
    guard enabled else { return }
    let key = CacheKey(tree)
    if folders[key] == folder { return }
    var w = ByteWriter()
    w.u8((folder.incident != nil ? 1 : 0) | (folder.timeline != nil ? 2 : 0))
    (folder.incident ?? CacheKey.zero).write(to: &w)
    (folder.timeline ?? CacheKey.zero).write(to: &w)
    insert(.folder, key, w.bytes)
  }

  private func insert(_ kind: Kind, _ key: CacheKey, _ payload: [UInt8]) {
    load()
    unsaved.append((kind, key, payload))
    buffers.append(payload)
    slots[kind]![key] = Slot(buffer: buffers.count - 1, start: 0, end: payload.count)
    if kind == .folder {
      var r = ByteReader(payload)
      if let f = try? Self.decodeFolder(&r) { folders[key] = f }
    }
  }

  private static func decodeFolder(_ r: inout ByteReader) throws(ByteReader.Invalid) -> Folder {
    let flags = try r.u8()
    let incident = try CacheKey(reading: &r)
    let timeline = try CacheKey(reading: &r)
    guard flags < 4, r.isAtEnd else { throw ByteReader.Invalid() }
    return Folder(
      incident: flags & 1 != 0 ? incident : nil, timeline: flags & 2 != 0 ? timeline : nil)
  }

  // MARK: Loading

  private func load() {
    guard !loaded else { return }
    loaded = true
    guard enabled else { return }
    if let bytes = Self.read(snapshotPath) {
      if !loadSnapshot(bytes) {
        reset()
        snapshotNeedsRewrite = true
      }
    } else {
      snapshotNeedsRewrite = true
    }
    if let bytes = Self.read(journalPath) {
      journalSize = bytes.count
      loadJournal(bytes)
    }
  }

  private func reset() {
    buffers = []
    slots = [.incident: [:], .timeline: [:], .folder: [:], .listing: [:]]
    folders = [:]
  }

  private func loadSnapshot(_ bytes: [UInt8]) -> Bool {
    guard bytes.count >= Self.headerSize, Array(bytes[0..<8]) == Self.magic else { return false }
    var r = ByteReader(bytes, from: 8)
    do {
      guard try r.u32() == Self.version else { return false }
      let count = Int(try r.u32())
      let length = try r.u64()
      let checksum = try r.u64()
      guard UInt64(bytes.count - Self.headerSize) == length,
        cacheChecksum(bytes, from: Self.headerSize) == checksum
      else { return false }
      buffers.append(bytes)
      let buffer = buffers.count - 1
      for _ in 0..<count {
        guard try readEntry(&r, buffer: buffer) else { return false }
      }
      return r.isAtEnd
    } catch {
      return false
    }
  }

  private func loadJournal(_ bytes: [UInt8]) {
    buffers.append(bytes)
    let buffer = buffers.count - 1
    var r = ByteReader(bytes)
    while !r.isAtEnd {
      do {
        guard try r.u32() == Self.frameMagic else { return }
        let length = Int(try r.u32())
        let checksum = try r.u64()
        try r.need(length)
        let start = r.offset
        guard cacheChecksum(bytes, from: start, to: start + length) == checksum else { return }
        var entry = ByteReader(bytes, from: start, to: start + length)
        guard try readEntry(&entry, buffer: buffer), entry.isAtEnd else { return }
        r.offset = start + length
      } catch {
        return
      }
    }
  }

  private func readEntry(_ r: inout ByteReader, buffer: Int) throws(ByteReader.Invalid) -> Bool {
    guard let kind = Kind(rawValue: try r.u8()) else { return false }
    let key = try CacheKey(reading: &r)
    let length = Int(try r.u32())
    try r.need(length)
    let slot = Slot(buffer: buffer, start: r.offset, end: r.offset + length)
    if kind == .folder {
      var f = ByteReader(buffers[buffer], from: slot.start, to: slot.end)
      folders[key] = try Self.decodeFolder(&f)
    }
    slots[kind]![key] = slot
    r.offset += length
    return true
  }

  private static func read(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { return nil }
    let size = Int(st.st_size)
    guard size > 0 else { return [] }
    var bytes = [UInt8](repeating: 0, count: size)
    var done = 0
    let ok = bytes.withUnsafeMutableBytes { raw -> Bool in
      while done < size {
        let n = Foundation.read(fd, raw.baseAddress! + done, size - done)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        done += n
      }
      return true
    }
    return ok ? bytes : Array(bytes[0..<done])
  }

  // MARK: Saving

  private static func entry(_ kind: Kind, _ key: CacheKey, _ payload: ArraySlice<UInt8>)
    -> [UInt8]
  {
    var w = ByteWriter()
    w.u8(kind.rawValue)
    key.write(to: &w)
    w.u32(UInt32(payload.count))
    w.bytes.append(contentsOf: payload)
    return w.bytes
  }

  /// Appends this process's new entries to the journal (one `write(2)`), then forgets them.
  /// Failures are ignored: the cache is only an optimisation.
  func appendJournal() {
    guard enabled, !unsaved.isEmpty else { return }
    var out: [UInt8] = []
    for (kind, key, payload) in unsaved {
      let e = Self.entry(kind, key, payload[...])
      var w = ByteWriter()
      w.u32(Self.frameMagic)
      w.u32(UInt32(e.count))
      w.u64(cacheChecksum(e))
      out += w.bytes
      out += e
    }
    unsaved = []
    guard (try? FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true)) != nil
    else { return }
    let fd = open(journalPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return }
    defer { close(fd) }
    _ = out.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
  }

  /// Replaces the snapshot with the entries whose keys are in `live` (all entries when nil),
  /// written to a temporary file and renamed into place; then removes the journal if it has
  /// not grown since it was read. Failures are ignored.
  func writeSnapshot(keeping live: [Kind: Set<CacheKey>]?) {
    guard enabled else { return }
    load()
    var body: [UInt8] = []
    var count: UInt32 = 0
    for kind in [Kind.incident, .timeline, .folder, .listing] {
      for (key, slot) in slots[kind]! where live?[kind]?.contains(key) ?? true {
        body += Self.entry(kind, key, buffers[slot.buffer][slot.start..<slot.end])
        count += 1
      }
    }
    var w = ByteWriter()
    w.bytes = Self.magic
    w.u32(Self.version)
    w.u32(count)
    w.u64(UInt64(body.count))
    w.u64(cacheChecksum(body))
    let file = w.bytes + body
    guard (try? FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true)) != nil
    else { return }
    let temporary = "\(snapshotPath).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return }
    let written = file.withUnsafeBytes { raw -> Bool in
      var done = 0
      while done < raw.count {
        let n = write(fd, raw.baseAddress! + done, raw.count - done)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        done += n
      }
      return true
    }
    close(fd)
    guard written, rename(temporary, snapshotPath) == 0 else {
      unlink(temporary)
      return
    }
    unsaved = []
    snapshotNeedsRewrite = false
    if journalSize > 0 {
      var st = stat()
      if stat(journalPath, &st) == 0, Int(st.st_size) == journalSize { unlink(journalPath) }
      journalSize = 0
    }
  }
}
