internal import CLibgit2

extension Tree {
  /// One name whose entry differs between two trees.
  public struct EntryChange: Sendable, Equatable {
    /// The entry's name within its folder.
    public var name: String
    /// The entry in the old tree, nil when it was added.
    public var old: Entry?
    /// The entry in the new tree, nil when it was removed.
    public var new: Entry?
  }

  /// The entries that differ between `old` and `new` (either may be nil for an empty tree), in
  /// git's order, one level deep.
  ///
  /// Both entry lists are walked side by side in git's tree order; entries with the same name,
  /// kind and object ID are skipped without building Swift values for them, so comparing two
  /// large folders that differ in one entry costs little more than reading them. An entry that
  /// changed from file to folder (or back) appears as one removal and one addition.
  ///
  /// The corresponding libgit2 functions are `git_tree_entry_byindex` and `git_tree_entry_cmp`.
  public static func changes(from old: Tree?, to new: Tree?) -> [EntryChange] {
    let oldCount = old.map { git_tree_entrycount($0.pointer) } ?? 0
    let newCount = new.map { git_tree_entrycount($0.pointer) } ?? 0
    var out: [EntryChange] = []
    var i = 0
    var j = 0
    while i < oldCount || j < newCount {
      let a = i < oldCount ? git_tree_entry_byindex(old!.pointer, i) : nil
      let b = j < newCount ? git_tree_entry_byindex(new!.pointer, j) : nil
      let order: Int32
      if let a, let b { order = git_tree_entry_cmp(a, b) } else { order = a == nil ? 1 : -1 }
      if order < 0 {
        let entry = makeEntry(a)
        out.append(EntryChange(name: entry.name, old: entry, new: nil))
        i += 1
      } else if order > 0 {
        let entry = makeEntry(b)
        out.append(EntryChange(name: entry.name, old: nil, new: entry))
        j += 1
      } else {
        if git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)) == 0
          || git_tree_entry_type(a) != git_tree_entry_type(b)
        {
          let before = makeEntry(a)
          out.append(EntryChange(name: before.name, old: before, new: makeEntry(b)))
        }
        i += 1
        j += 1
      }
    }
    return withExtendedLifetime((old, new)) { out }
  }
}
