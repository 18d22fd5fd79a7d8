import Dispatch
import Foundation
import Git

/// Reads and parses many `incident.yaml` files at once, on every core: what
/// ``IncidentStore/incidents(in:)`` does for the blobs the ``RecordCache`` has not seen (all of
/// them on a first `list`).
///
/// Each worker thread opens its own handle on the repository, because a libgit2
/// `git_repository` (its object database and caches) must not be used by two threads at once;
/// parsing (``RecordCodec``) is a pure function of the bytes. Results come back in the order
/// of the items, so output does not depend on how the work was split.
enum ParallelRead {
  /// One incident folder to read.
  struct Item: Sendable {
    /// Where the result goes in the caller's list.
    var slot: Int
    var id: IncidentID
    /// The folder's tree.
    var folder: ObjectID
    /// The `incident.yaml` blob when the cache knows the folder; nil to read the folder tree.
    var blob: ObjectID?
  }

  /// What was read for one item.
  struct Outcome: Sendable {
    /// The folder's blobs, when its tree was read (to add to the cache).
    var folder: RecordCache.Folder?
    /// The parsed record or why it could not be read; nil when the folder has no
    /// `incident.yaml`.
    var incident: Result<Incident, IncidentError>?
  }

  /// Below this many items per extra thread, one thread does it all (opening a repository
  /// handle and starting a thread cost more than parsing a few records).
  static let itemsPerThread = 128

  /// Reads every item; the outcomes are in the order of `items`.
  ///
  /// - Parameters:
  ///   - repository: used directly when the work is too small to split.
  ///   - settings: the severities an incident may have (checked as when reading one).
  static func run(_ items: [Item], in repository: Repository, settings: Settings) -> [Outcome] {
    let threads = min(ProcessInfo.processInfo.activeProcessorCount, 8, items.count / itemsPerThread)
    guard threads >= 2 else {
      return items.map { read($0, from: repository, settings: settings) }
    }
    let gitDirectory = repository.gitDirectory
    let results = ParallelSlots<Outcome>(count: items.count)
    DispatchQueue.concurrentPerform(iterations: threads) { worker in
      let handle: Repository
      do throws(GitError) {
        handle = try Repository.open(at: gitDirectory, search: false)
      } catch {
        for i in stride(from: worker, to: items.count, by: threads) {
          results.set(i, Outcome(folder: nil, incident: .failure(.git(error))))
        }
        return
      }
      for i in stride(from: worker, to: items.count, by: threads) {
        results.set(i, read(items[i], from: handle, settings: settings))
      }
    }
    return results.take()
  }

  /// Reads one folder (when needed) and its `incident.yaml`.
  static func read(_ item: Item, from repository: Repository, settings: Settings) -> Outcome {
    var outcome = Outcome()
    var blob = item.blob
    if blob == nil {
      // A folder tree that cannot be read counts as empty, as a path lookup through it would.
      let folder = RecordCache.Folder(tree: try? repository.tree(item.folder))
      outcome.folder = folder
      blob = folder.incident?.objectID
    }
    guard let blob else { return outcome }
    let data: Data
    do {
      data = try repository.blob(blob)
    } catch {
      outcome.incident = .failure(.git(error))
      return outcome
    }
    do {
      outcome.incident = .success(
        try RecordCodec.decodeIncident(
          data, file: RecordPaths.incident(item.id), expectedID: item.id, settings: settings))
    } catch {
      outcome.incident = .failure(.invalidRecord(error))
    }
    return outcome
  }
}

/// Work spread over the cores with `DispatchQueue.concurrentPerform`, for pure functions of
/// many inputs (parsing files).
enum Parallel {
  /// `items.map(transform)`, on up to one thread per core (at most 8), each thread taking every
  /// n-th item; on one thread when there are fewer than `itemsPerThread` items per extra thread.
  /// The outputs are in the order of `items`.
  static func map<Item: Sendable, Output: Sendable>(
    _ items: [Item], itemsPerThread: Int, _ transform: @Sendable (Item) -> Output
  ) -> [Output] {
    let threads = min(ProcessInfo.processInfo.activeProcessorCount, 8, items.count / itemsPerThread)
    guard threads >= 2 else { return items.map(transform) }
    let slots = ParallelSlots<Output>(count: items.count)
    DispatchQueue.concurrentPerform(iterations: threads) { worker in
      for i in stride(from: worker, to: items.count, by: threads) {
        slots.set(i, transform(items[i]))
      }
    }
    return slots.take()
  }
}

/// Result slots written by several threads, each slot by one thread only, read once every
/// thread has finished.
final class ParallelSlots<Value>: @unchecked Sendable {
  private let buffer: UnsafeMutableBufferPointer<Value?>

  init(count: Int) {
    buffer = .allocate(capacity: count)
    buffer.initialize(repeating: nil)
  }

  deinit {
    buffer.deinitialize()
    buffer.deallocate()
  }

  func set(_ index: Int, _ value: Value) {
    buffer[index] = value
  }

  /// The values; every slot must have been set.
  func take() -> [Value] {
    buffer.map { $0! }
  }
}
