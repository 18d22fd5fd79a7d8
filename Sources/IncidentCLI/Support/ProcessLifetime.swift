/// Values kept until the process exits instead of being freed just before it, as git does
/// with `UNLEAK`: freeing ten thousand parsed records one by one only to exit costs about a
/// tenth of `list`'s time, and the kernel reclaims the memory at exit anyway.
///
/// Only for what a command holds until its end (its result lists and the store); never in a
/// loop, or the memory grows.
enum ProcessLifetime {
  nonisolated(unsafe) private static var kept: [Any] = []

  /// Keeps `value` alive until exit.
  static func keep(_ value: Any) { kept.append(value) }
}
