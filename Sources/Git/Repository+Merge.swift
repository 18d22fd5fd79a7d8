import Foundation
internal import CLibgit2

extension Repository {
  /// The best common ancestor of two commits, or nil when their histories are unrelated.
  ///
  /// The corresponding libgit2 function is `git_merge_base`.
  /// - Throws: ``GitError`` when a commit is missing.
  public func mergeBase(_ one: ObjectID, _ two: ObjectID) throws(GitError) -> ObjectID? {
    var out = git_oid()
    var a = one.raw
    var b = two.raw
    let rc = git_merge_base(&out, pointer, &a, &b)
    if rc == GIT_ENOTFOUND.rawValue { return nil }
    try check(rc, "git_merge_base")
    return ObjectID(out)
  }
}

/// The result of git's three-way text merge of one file.
public struct TextMergeResult: Sendable, Equatable {
  /// True when the sides merged without a conflict.
  public var isClean: Bool
  /// The merged text; with conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`) when not clean.
  public var text: Data
}

/// Git's line-based three-way merge of one file's contents, without a repository.
public enum TextMerge {
  /// Merges `ours` and `theirs` against their common `ancestor`, as `git merge-file` does
  /// (default diff, merge style markers of 7 characters, labels `ours` and `theirs`).
  ///
  /// - Parameters:
  ///   - ancestor: the common ancestor's bytes (empty for a file added on both sides).
  ///   - ours: our side's bytes.
  ///   - theirs: their side's bytes.
  ///   - labels: the marker labels for ours and theirs.
  /// - Returns: the merged text and whether it is free of conflicts.
  /// - Throws: ``GitError`` when libgit2 fails (for example out of memory).
  ///
  /// The corresponding libgit2 function is `git_merge_file`.
  public static func merge(
    ancestor: Data, ours: Data, theirs: Data, labels: (ours: String, theirs: String) = ("ours", "theirs")
  ) throws(GitError) -> TextMergeResult {
    _ = libgit2Initialized
    var options = git_merge_file_options()
    try check(
      git_merge_file_options_init(&options, UInt32(GIT_MERGE_FILE_OPTIONS_VERSION)),
      "git_merge_file_options_init")
    let ourLabel = strdup(labels.ours)!
    let theirLabel = strdup(labels.theirs)!
    defer {
      free(ourLabel)
      free(theirLabel)
    }
    options.our_label = UnsafePointer(ourLabel)
    options.their_label = UnsafePointer(theirLabel)
    var result = git_merge_file_result()
    let rc: Int32 = ancestor.withUnsafeBytes { a in
      ours.withUnsafeBytes { o in
        theirs.withUnsafeBytes { t in
          var inputs = [git_merge_file_input(), git_merge_file_input(), git_merge_file_input()]
          for i in 0..<3 {
            git_merge_file_input_init(&inputs[i], UInt32(GIT_MERGE_FILE_INPUT_VERSION))
          }
          let empty: StaticString = ""
          for (i, buffer) in [a, o, t].enumerated() {
            inputs[i].ptr = buffer.baseAddress.map { $0.assumingMemoryBound(to: CChar.self) }
              ?? UnsafeRawPointer(empty.utf8Start).assumingMemoryBound(to: CChar.self)
            inputs[i].size = buffer.count
          }
          return git_merge_file(&result, &inputs[0], &inputs[1], &inputs[2], &options)
        }
      }
    }
    try check(rc, "git_merge_file")
    defer { git_merge_file_result_free(&result) }
    let text = result.ptr.map { Data(bytes: $0, count: result.len) } ?? Data()
    return TextMergeResult(isClean: result.automergeable != 0, text: text)
  }
}
