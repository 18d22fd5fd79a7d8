internal import CLibgit2

extension Repository {
  /// Paths under `pathspecs` whose index or work-tree copy differs from HEAD, untracked files
  /// there, and paths with merge conflicts; sorted. Empty for a bare repository.
  ///
  /// The corresponding libgit2 function is `git_status_list_new` (index and work tree,
  /// untracked files included, untracked folders recursed).
  public func changedPaths(matching pathspecs: [String]) throws(GitError) -> [String] {
    guard !isBare else { return [] }
    var options = git_status_options()
    try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "git_status_options_init")
    options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
    options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue
      | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
    var list: OpaquePointer?
    let rc = withStringArray(pathspecs) { array in
      options.pathspec = array.pointee
      return git_status_list_new(&list, pointer, &options)
    }
    try check(rc, "git_status_list_new")
    defer { git_status_list_free(list) }
    var paths = Set<String>()
    for i in 0..<git_status_list_entrycount(list) {
      guard let entry = git_status_byindex(list, i) else { continue }
      for delta in [entry.pointee.head_to_index, entry.pointee.index_to_workdir] {
        guard let delta else { continue }
        if let p = delta.pointee.new_file.path { paths.insert(String(cString: p)) }
        if let p = delta.pointee.old_file.path { paths.insert(String(cString: p)) }
      }
    }
    return paths.sorted()
  }
}
