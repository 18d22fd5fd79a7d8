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
/// - `cache-v1.bin`, the snapshot: the 8 bytes `GITINCC1`, a version (`UInt32`, 2; version 1
///   had a slower checksum and is rewritten like any stale file), the entry count (`UInt32`), the length of the entries (`UInt64`) and their checksum (`UInt64`), then
///   the entries. It is only ever replaced whole: written to a temporary file beside it and
///   renamed over it (`rename(2)` is atomic), so a reader sees the old or the new file.
/// - `cache-v1.log`, the journal: frames appended by writes (each one `write(2)` with
///   `O_APPEND`), each with its own magic number, length and checksum. Readers stop at the
///   first frame that is incomplete or damaged (a frame written by version 1 counts as damaged).
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
  enum Kind: UInt8, CaseIterable {
    case incident = 1
    case timeline = 2
    case folder = 3
    /// An `incidents` tree: its incident folders (ID and folder tree ID), sorted by ID.
    case listing = 4
    /// An `incident.yaml` blob as `list --json` writes the record, with what the list checks
    /// and orders it by (``ListEntry``).
    case listJSON = 5
  }

  /// An incident as `list --json` writes it (the record's JSON at indent 2, as
  /// `Incident.writeJSON(indent:into:)` writes it), with the fields the list checks it by
  /// (as ``IncidentStore`` checks a cached record) and orders it by.
  struct ListEntry: Equatable {
    var id: String
    var severity: String
    /// `times.isInOrder` of the record.
    var timesInOrder: Bool
    /// `times.reportedAt`, the list's order.
    var reportedAt: Date?
    var json: [UInt8]

    init(_ incident: Incident) {
      var out: [UInt8] = []
      incident.appendJSON(indent: 2, into: &out)
      id = incident.id.rawValue
      severity = incident.severity
      timesInOrder = incident.times.isInOrder
      reportedAt = incident.times.reportedAt
      json = out
    }

    init(id: String, severity: String, timesInOrder: Bool, reportedAt: Date?, json: [UInt8]) {
      self.id = id
      self.severity = severity
      self.timesInOrder = timesInOrder
      self.reportedAt = reportedAt
      self.json = json
    }

    var encoded: [UInt8] {
      var w = ByteWriter()
      w.string(id)
      w.string(severity)
      w.u8((timesInOrder ? 1 : 0) | (reportedAt != nil ? 2 : 0))
      w.u64((reportedAt?.timeIntervalSince1970 ?? 0).bitPattern)
      w.u32(UInt32(json.count))
      w.bytes.append(contentsOf: json)
      return w.bytes
    }

    init(decoding r: inout ByteReader) throws(ByteReader.Invalid) {
      id = try r.string()
      severity = try r.string()
      let flags = try r.u8()
      let time = Date(timeIntervalSince1970: Double(bitPattern: try r.u64()))
      let count = Int(try r.u32())
      try r.need(count)
      guard flags < 4, r.end - r.offset == count else { throw ByteReader.Invalid() }
      timesInOrder = flags & 1 != 0
      reportedAt = flags & 2 != 0 ? time : nil
      json = Array(r.bytes[r.offset..<r.offset + count])
      r.offset += count
    }
  }

  /// What an incident folder's tree holds, by blob ID.
  struct Folder: Equatable {
    var incident: CacheKey?
    var timeline: CacheKey?

    init(incident: CacheKey? = nil, timeline: CacheKey? = nil) {
      self.incident = incident
      self.timeline = timeline
    }

    /// The record blobs of an incident folder's tree; empty when the tree could not be read
    /// (as a path lookup through it would find nothing).
    init(tree: Tree?) {
      // Files only: a folder by that name holds no record.
      incident = tree?.entry(atPath: "incident.yaml").flatMap { $0.kind == .blob ? CacheKey($0.id) : nil }
      timeline = tree?.entry(atPath: "timeline.yaml").flatMap { $0.kind == .blob ? CacheKey($0.id) : nil }
    }
  }

  static let magic: [UInt8] = Array("GITINCC1".utf8)
  static let version: UInt32 = 2
  static let frameMagic: UInt32 = 0x314A_4947  // "GIJ1"
  static let headerSize = 40
  static let indexRecordSize = 40

  let directory: String
  let enabled: Bool
  var snapshotPath: String { directory + "/cache-v1.bin" }
  var journalPath: String { directory + "/cache-v1.log" }

  /// The snapshot's index (sorted records), read once; empty when there is no valid snapshot.
  private var index: [UInt8] = []
  private var count = 0
  /// The snapshot's open file, for reading single payloads.
  private var fd: Int32 = -1
  /// The whole snapshot, once a bulk reader asked for it.
  private var whole: [UInt8]?
  private var opened = false
  /// Entries from the journal and from this process, which take precedence over the snapshot.
  private var overlay: [Kind: [CacheKey: [UInt8]]] = [:]
  /// Snapshot entries found damaged; treated as absent.
  private var damaged: Set<CacheKey> = []
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

  deinit {
    if fd >= 0 { close(fd) }
  }

  /// True when this process added entries that are not on disk yet.
  var hasUnsaved: Bool { !unsaved.isEmpty }

  // MARK: Lookups

  func incident(_ blob: ObjectID) -> Incident? {
    let key = CacheKey(blob)
    guard var r = payload(.incident, key) else { return nil }
    guard let value = try? CacheCoding.decodeIncident(&r), r.isAtEnd else {
      drop(.incident, key)
      return nil
    }
    return value
  }

  func timeline(_ blob: ObjectID) -> Timeline? {
    let key = CacheKey(blob)
    guard var r = payload(.timeline, key) else { return nil }
    guard let value = try? CacheCoding.decodeTimeline(&r), r.isAtEnd else {
      drop(.timeline, key)
      return nil
    }
    return value
  }

  /// True when the cache has an entry of `kind` for `key` (its payload is not read or checked).
  func contains(_ kind: Kind, _ key: CacheKey) -> Bool {
    open()
    guard enabled else { return false }
    if overlay[kind]?[key] != nil { return true }
    return count > 0 && !damaged.contains(key) && find(kind, key) != nil
  }

  /// Adds the `list --json` entry of `incident`, cached under `blob`, if the cache has none.
  func addListEntry(_ incident: Incident, blob: CacheKey) {
    guard enabled, !contains(.listJSON, blob), CacheCoding.encode(incident) != nil else { return }
    insert(.listJSON, blob, ListEntry(incident).encoded)
  }

  /// The incident of an `incident.yaml` blob as `list --json` writes it, or nil.
  func listEntry(_ key: CacheKey) -> ListEntry? {
    guard var r = payload(.listJSON, key) else { return nil }
    guard let value = try? ListEntry(decoding: &r), r.isAtEnd else {
      drop(.listJSON, key)
      return nil
    }
    return value
  }

  func folder(_ tree: ObjectID) -> Folder? {
    folder(key: CacheKey(tree))
  }

  func folder(key: CacheKey) -> Folder? {
    guard var r = payload(.folder, key) else { return nil }
    guard let value = try? Self.decodeFolder(&r) else {
      drop(.folder, key)
      return nil
    }
    return value
  }

  /// The incident folders of an `incidents` tree, as (ID text, folder tree), sorted by ID.
  func listing(_ tree: ObjectID) -> [(id: String, folder: CacheKey)]? {
    let key = CacheKey(tree)
    guard var r = payload(.listing, key) else { return nil }
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

  private func drop(_ kind: Kind, _ key: CacheKey) {
    overlay[kind]?[key] = nil
    damaged.insert(key)
    snapshotNeedsRewrite = true
  }

  // MARK: Additions

  func add(_ incident: Incident, blob: ObjectID) {
    guard enabled, let payload = CacheCoding.encode(incident) else { return }
    insert(.incident, CacheKey(blob), payload)
    insert(.listJSON, CacheKey(blob), ListEntry(incident).encoded)
  }

  func add(_ timeline: Timeline, blob: ObjectID) {
    guard enabled, let payload = CacheCoding.encode(timeline) else { return }
    insert(.timeline, CacheKey(blob), payload)
  }

  func add(folder tree: ObjectID, _ folder: Folder) {
    guard enabled else { return }
    var w = ByteWriter()
    w.u8((folder.incident != nil ? 1 : 0) | (folder.timeline != nil ? 2 : 0))
    (folder.incident ?? CacheKey.zero).write(to: &w)
    (folder.timeline ?? CacheKey.zero).write(to: &w)
    insert(.folder, CacheKey(tree), w.bytes)
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

  /// Puts `payload` under `key` as it is (for tests that plant entries).
  func plant(_ kind: Kind, _ key: CacheKey, _ payload: [UInt8]) {
    insert(kind, key, payload)
  }

  private func insert(_ kind: Kind, _ key: CacheKey, _ payload: [UInt8]) {
    unsaved.append((kind, key, payload))
    overlay[kind, default: [:]][key] = payload
    damaged.remove(key)
  }

  private static func decodeFolder(_ r: inout ByteReader) throws(ByteReader.Invalid) -> Folder {
    let flags = try r.u8()
    let incident = try CacheKey(reading: &r)
    let timeline = try CacheKey(reading: &r)
    guard flags < 4, r.isAtEnd else { throw ByteReader.Invalid() }
    return Folder(
      incident: flags & 1 != 0 ? incident : nil, timeline: flags & 2 != 0 ? timeline : nil)
  }

  // MARK: Reading the files

  /// Reads the whole snapshot into memory: for commands that read most entries (`list`).
  func prepareForBulkReads() {
    open()
    guard enabled, count > 0, whole == nil, fd >= 0 else { return }
    var st = stat()
    guard fstat(fd, &st) == 0, let bytes = Self.read(fd, at: 0, count: Int(st.st_size)) else {
      return
    }
    whole = bytes
  }

  /// A reader over an entry's payload: from the overlay, else from the snapshot (checksum
  /// verified; read in place when the whole file is in memory).
  private func payload(_ kind: Kind, _ key: CacheKey) -> ByteReader? {
    open()
    guard enabled else { return nil }
    if let hit = overlay[kind]?[key] { return ByteReader(hit) }
    guard count > 0, !damaged.contains(key), let at = find(kind, key) else { return nil }
    var r = ByteReader(index, from: at + 24, to: at + Self.indexRecordSize)
    guard let offset = try? r.u32(), let length = try? r.u32(), let checksum = try? r.u64() else {
      return nil
    }
    let start = Int(offset)
    let end = start + Int(length)
    var reader: ByteReader?
    if let whole {
      if end <= whole.count, cacheChecksum(whole, from: start, to: end) == checksum {
        reader = ByteReader(whole, from: start, to: end)
      }
    } else if let bytes = Self.read(fd, at: start, count: Int(length)), cacheChecksum(bytes) == checksum {
      reader = ByteReader(bytes)
    }
    guard let reader else {
      damaged.insert(key)
      snapshotNeedsRewrite = true
      return nil
    }
    return reader
  }


  /// Binary search of the index; the byte offset of the record, or nil.
  private func find(_ kind: Kind, _ key: CacheKey) -> Int? {
    var low = 0
    var high = count - 1
    return index.withUnsafeBytes { raw -> Int? in
      while low <= high {
        let mid = (low + high) / 2
        let at = mid * Self.indexRecordSize
        let k = raw[at]
        let probe = CacheKey(
          a: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 4, as: UInt64.self)),
          b: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 12, as: UInt64.self)),
          c: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at + 20, as: UInt32.self)))
        let order = Self.compare((k, probe), (kind.rawValue, key))
        if order == 0 { return at }
        if order < 0 { low = mid + 1 } else { high = mid - 1 }
      }
      return nil
    }
  }

  private static func compare(_ x: (UInt8, CacheKey), _ y: (UInt8, CacheKey)) -> Int {
    if x.0 != y.0 { return x.0 < y.0 ? -1 : 1 }
    if x.1.a != y.1.a { return x.1.a < y.1.a ? -1 : 1 }
    if x.1.b != y.1.b { return x.1.b < y.1.b ? -1 : 1 }
    if x.1.c != y.1.c { return x.1.c < y.1.c ? -1 : 1 }
    return 0
  }

  /// Opens the snapshot (header and index only) and reads the journal, once.
  private func open() {
    guard !opened else { return }
    opened = true
    guard enabled else { return }
    if !openSnapshot() {
      if fd >= 0 { close(fd) }
      fd = -1
      index = []
      count = 0
      snapshotNeedsRewrite = true
    }
    let journal = Foundation.open(journalPath, O_RDONLY | O_CLOEXEC)
    if journal >= 0 {
      var st = stat()
      if fstat(journal, &st) == 0, let bytes = Self.read(journal, at: 0, count: Int(st.st_size)) {
        journalSize = bytes.count
        loadJournal(bytes)
      }
      close(journal)
    }
  }

  private func openSnapshot() -> Bool {
    fd = Foundation.open(snapshotPath, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    var st = stat()
    guard fstat(fd, &st) == 0, let header = Self.read(fd, at: 0, count: Self.headerSize),
      Array(header[0..<8]) == Self.magic
    else { return false }
    var r = ByteReader(header, from: 8)
    guard let version = try? r.u32(), version == Self.version, let n = try? r.u32(),
      let indexOffset = try? r.u64(), let indexChecksum = try? r.u64(),
      let length = try? r.u64(), length == UInt64(st.st_size),
      UInt64(Self.headerSize) <= indexOffset, indexOffset <= length,
      length - indexOffset == UInt64(n) * UInt64(Self.indexRecordSize),
      let bytes = Self.read(fd, at: Int(indexOffset), count: Int(n) * Self.indexRecordSize),
      cacheChecksum(bytes) == indexChecksum
    else { return false }
    index = bytes
    count = Int(n)
    return true
  }

  private func loadJournal(_ bytes: [UInt8]) {
    var r = ByteReader(bytes)
    while !r.isAtEnd {
      do {
        guard try r.u32() == Self.frameMagic else { return }
        let length = Int(try r.u32())
        let checksum = try r.u64()
        try r.need(length)
        let start = r.offset
        guard cacheChecksum(bytes, from: start, to: start + length) == checksum else { return }
        var e = ByteReader(bytes, from: start, to: start + length)
        guard let kind = Kind(rawValue: try e.u8()) else { return }
        let key = try CacheKey(reading: &e)
        let size = Int(try e.u32())
        guard size == e.end - e.offset else { return }
        overlay[kind, default: [:]][key] = Array(bytes[e.offset..<e.end])
        r.offset = start + length
      } catch {
        return
      }
    }
  }

  /// `count` bytes at `offset`, or nil when the file is shorter or cannot be read.
  private static func read(_ fd: Int32, at offset: Int, count: Int) -> [UInt8]? {
    guard fd >= 0, count >= 0 else { return nil }
    var ok = true
    // Uninitialised, not zero-filled: the snapshot is megabytes and every byte is read over.
    let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      var done = 0
      while done < count {
        let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
        if n < 0 && errno == EINTR { continue }
        if n <= 0 {
          ok = false
          break
        }
        done += n
      }
      // Only what was read counts as initialised; a short read is discarded below.
      initialized = done
    }
    return ok ? bytes : nil
  }

  // MARK: Saving

  private static func entry(_ kind: Kind, _ key: CacheKey, _ payload: [UInt8]) -> [UInt8] {
    var w = ByteWriter()
    w.u8(kind.rawValue)
    key.write(to: &w)
    w.u32(UInt32(payload.count))
    w.bytes.append(contentsOf: payload)
    return w.bytes
  }

  /// The size (bytes) past which a write starts the journal afresh instead of appending:
  /// every command reads the whole journal, and each change of an incident journals its whole
  /// timeline again (a few KB to tens of KB), so a repository where only writes run grew it by
  /// megabytes per few hundred notes, and every command by milliseconds.
  static let journalLimit = 1 << 20

  /// Appends this process's new entries to the journal (one `write(2)`), then forgets them.
  /// When that would take the journal past ``journalLimit``, the journal is removed first and
  /// the new one holds only these entries: what it held is parsed again by the next read that
  /// needs it, which rewrites the snapshot.
  /// Failures are ignored: the cache is only an optimisation.
  func appendJournal() {
    guard enabled, !unsaved.isEmpty else { return }
    var out: [UInt8] = []
    for (kind, key, payload) in unsaved {
      let e = Self.entry(kind, key, payload)
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
    var st = stat()
    if stat(journalPath, &st) == 0, Int(st.st_size) + out.count > Self.journalLimit {
      unlink(journalPath)
      journalSize = 0
    }
    let fd = Foundation.open(journalPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return }
    defer { close(fd) }
    _ = out.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
  }

  /// Replaces the snapshot with the entries whose keys are in `live` (all entries when nil),
  /// written to a temporary file and renamed into place; then removes the journal if it has
  /// not grown since it was read. Failures are ignored.
  func writeSnapshot(keeping live: [Kind: Set<CacheKey>]?) {
    guard enabled else { return }
    prepareForBulkReads()
    // Payloads as readers over the bytes they are in (the overlay's arrays, the snapshot read
    // whole): nothing is copied until the file is written, through a 1 MiB buffer.
    var entries: [(kind: Kind, key: CacheKey, payload: ByteReader)] = []
    for kind in Kind.allCases {
      var seen = Set<CacheKey>()
      for (key, payload) in overlay[kind] ?? [:] where live?[kind]?.contains(key) ?? true {
        entries.append((kind, key, ByteReader(payload)))
        seen.insert(key)
      }
      for key in live?[kind] ?? [] where !seen.contains(key) {
        if let reader = payload(kind, key) { entries.append((kind, key, reader)) }
      }
      if live == nil {
        for i in 0..<count where index[i * Self.indexRecordSize] == kind.rawValue {
          var r = ByteReader(index, from: i * Self.indexRecordSize + 4)
          guard let key = try? CacheKey(reading: &r), !seen.contains(key),
            let reader = payload(kind, key)
          else { continue }
          entries.append((kind, key, reader))
        }
      }
    }
    entries.sort { Self.compare(($0.kind.rawValue, $0.key), ($1.kind.rawValue, $1.key)) < 0 }
    var indexBytes = ByteWriter()
    var offset = Self.headerSize
    for e in entries {
      let length = e.payload.end - e.payload.offset
      indexBytes.u8(e.kind.rawValue)
      indexBytes.bytes += [0, 0, 0]
      e.key.write(to: &indexBytes)
      indexBytes.u32(UInt32(offset))
      indexBytes.u32(UInt32(length))
      indexBytes.u64(cacheChecksum(e.payload.bytes, from: e.payload.offset, to: e.payload.end))
      offset += length
    }
    var w = ByteWriter()
    w.bytes = Self.magic
    w.u32(Self.version)
    w.u32(UInt32(entries.count))
    let indexOffset = UInt64(offset)
    w.u64(indexOffset)
    w.u64(cacheChecksum(indexBytes.bytes))
    w.u64(indexOffset + UInt64(indexBytes.bytes.count))
    guard (try? FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true)) != nil
    else { return }
    let temporary = "\(snapshotPath).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let out = Foundation.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard out >= 0 else { return }
    var written = true
    var buffer: [UInt8] = []
    buffer.reserveCapacity(1 << 20)
    func flush() {
      guard written else { return }
      written = buffer.withUnsafeBytes { raw -> Bool in
        var done = 0
        while done < raw.count {
          let n = write(out, raw.baseAddress! + done, raw.count - done)
          if n < 0 && errno == EINTR { continue }
          if n <= 0 { return false }
          done += n
        }
        return true
      }
      buffer.removeAll(keepingCapacity: true)
    }
    buffer += w.bytes
    for e in entries {
      buffer.append(contentsOf: e.payload.bytes[e.payload.offset..<e.payload.end])
      if buffer.count >= 1 << 20 { flush() }
    }
    buffer += indexBytes.bytes
    flush()
    close(out)
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
