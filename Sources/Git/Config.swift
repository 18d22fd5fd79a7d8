import Foundation
internal import CLibgit2

/// A read-only snapshot of git configuration, all levels merged as git merges them, with the
/// command-line overrides git passes to its subcommands on top.
///
/// `git -c key=value incident ...` reaches us as `GIT_CONFIG_PARAMETERS` (and `git --config-env`
/// / `GIT_CONFIG_COUNT` with `GIT_CONFIG_KEY_<n>`/`GIT_CONFIG_VALUE_<n>`); libgit2 does not read
/// them, so this type does, and they win over every file, as in git.
public final class Config {
  let pointer: OpaquePointer
  /// Overrides from the environment, keyed by normalised name (see ``normalise(_:)``).
  let overrides: [String: String]

  init(pointer: OpaquePointer, environment: [String: String] = ProcessInfo.processInfo.environment) {
    self.pointer = pointer
    self.overrides = Self.overrides(from: environment)
  }

  deinit { git_config_free(pointer) }

  /// The value of `key` (for example `user.name`), or nil when it is not set.
  ///
  /// The corresponding libgit2 function is `git_config_get_string`.
  public func string(_ key: String) -> String? {
    if let value = overrides[Self.normalise(key)] { return value }
    var out: UnsafePointer<CChar>?
    guard git_config_get_string(&out, pointer, key) == 0, let out else { return nil }
    return String(cString: out)
  }

  /// The boolean value of `key` (`true`, `yes`, `on`, `1`, ...), or nil when unset or invalid.
  ///
  /// The corresponding libgit2 function is `git_config_get_bool`.
  public func bool(_ key: String) -> Bool? {
    if let value = overrides[Self.normalise(key)] {
      switch value.lowercased() {
      case "true", "yes", "on", "1", "": return value.isEmpty ? false : true
      case "false", "no", "off", "0": return false
      default: return nil
      }
    }
    var out: Int32 = 0
    guard git_config_get_bool(&out, pointer, key) == 0 else { return nil }
    return out != 0
  }

  /// `section.subsection.name` with the section and name lower-cased (they are
  /// case-insensitive in git; the subsection is not).
  static func normalise(_ key: String) -> String {
    let parts = key.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count >= 2 else { return key.lowercased() }
    var out = parts.map(String.init)
    out[0] = out[0].lowercased()
    out[out.count - 1] = out[out.count - 1].lowercased()
    return out.joined(separator: ".")
  }

  /// Parses git's override variables. `GIT_CONFIG_PARAMETERS` holds single-quoted entries
  /// (`'key'='value'` since git 2.31, `'key=value'` before), with `'\''` for a quote inside;
  /// `GIT_CONFIG_COUNT` entries come after and win.
  static func overrides(from environment: [String: String]) -> [String: String] {
    var out: [String: String] = [:]
    if let parameters = environment["GIT_CONFIG_PARAMETERS"] {
      for (key, value) in parseParameters(parameters) { out[normalise(key)] = value }
    }
    if let count = environment["GIT_CONFIG_COUNT"].flatMap(Int.init), count > 0 {
      for i in 0..<count {
        guard let key = environment["GIT_CONFIG_KEY_\(i)"] else { continue }
        out[normalise(key)] = environment["GIT_CONFIG_VALUE_\(i)"] ?? ""
      }
    }
    return out
  }

  static func parseParameters(_ text: String) -> [(String, String)] {
    var tokens: [(text: String, joinedToNext: Bool)] = []
    var chars = Array(text)
    var i = 0
    chars.append(" ")
    while i < chars.count {
      guard chars[i] == "'" else { i += 1; continue }
      var token = ""
      i += 1
      while i < chars.count {
        if chars[i] == "'" {
          // `'\''` continues the token with a literal quote.
          if i + 3 < chars.count, chars[i + 1] == "\\", chars[i + 2] == "'", chars[i + 3] == "'" {
            token.append("'")
            i += 4
            continue
          }
          i += 1
          break
        }
        token.append(chars[i])
        i += 1
      }
      let joined = i < chars.count && chars[i] == "="
      if joined { i += 1 }
      tokens.append((token, joined))
    }
    var out: [(String, String)] = []
    var n = 0
    while n < tokens.count {
      if tokens[n].joinedToNext, n + 1 < tokens.count {
        out.append((tokens[n].text, tokens[n + 1].text))
        n += 2
      } else {
        let t = tokens[n].text
        if let eq = t.firstIndex(of: "=") {
          out.append((String(t[..<eq]), String(t[t.index(after: eq)...])))
        } else {
          out.append((t, "true"))
        }
        n += 1
      }
    }
    return out
  }
}

@available(*, unavailable)
extension Config: Sendable {}
