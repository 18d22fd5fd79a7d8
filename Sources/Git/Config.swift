internal import CLibgit2

/// A read-only snapshot of git configuration, all levels merged as git merges them.
public final class Config {
  let pointer: OpaquePointer

  init(pointer: OpaquePointer) { self.pointer = pointer }

  deinit { git_config_free(pointer) }

  /// The value of `key` (for example `user.name`), or nil when it is not set.
  ///
  /// The corresponding libgit2 function is `git_config_get_string`.
  public func string(_ key: String) -> String? {
    var out: UnsafePointer<CChar>?
    guard git_config_get_string(&out, pointer, key) == 0, let out else { return nil }
    return String(cString: out)
  }

  /// The boolean value of `key` (`true`, `yes`, `on`, `1`, ...), or nil when unset or invalid.
  ///
  /// The corresponding libgit2 function is `git_config_get_bool`.
  public func bool(_ key: String) -> Bool? {
    var out: Int32 = 0
    guard git_config_get_bool(&out, pointer, key) == 0 else { return nil }
    return out != 0
  }
}

@available(*, unavailable)
extension Config: Sendable {}
