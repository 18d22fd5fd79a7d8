import Foundation
import Testing

@testable import IncidentKit

/// New files of a series are written on another thread and taken back when the series does not
/// land; neither may touch a file that was already there.
@Suite("Work-tree files written while objects are")
struct WorkTreeCreationTests {
  @Test("new files are created with their bytes; an existing file is left alone; undo removes only what was made")
  func createAndUndo() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("worktree-\(UUID())").path
    defer { try? FileManager.default.removeItem(atPath: root) }
    try FileManager.default.createDirectory(atPath: root + "/incidents/2026/INC-OLD", withIntermediateDirectories: true)
    try Data("kept\n".utf8).write(to: URL(fileURLWithPath: root + "/incidents/2026/taken.yaml"))

    let files: [(path: String, data: Data)] = [
      ("incidents/2026/INC-A/incident.yaml", Data("id: INC-A\n".utf8)),
      ("incidents/2026/INC-A/timeline.yaml", Data("events: []\n".utf8)),
      ("incidents/2026/taken.yaml", Data("replaced\n".utf8)),
      ("incidents/2027/INC-B/incident.yaml", Data("id: INC-B\n".utf8)),
    ]
    let creation = WorkTreeCreation(root: root, files: files)
    let outcomes = creation.wait()
    #expect(outcomes.count == 4)
    for i in [0, 1, 3] {
      let st = try outcomes[i].get()
      #expect(st.st_size == files[i].data.count)
      #expect(st.st_mode & S_IFMT == S_IFREG)
      #expect(FileManager.default.contents(atPath: root + "/" + files[i].path) == files[i].data)
    }
    guard case .failure(let failure) = outcomes[2] else {
      Issue.record("an existing file was overwritten")
      return
    }
    #expect(failure.exists)
    #expect(failure.description == "open: File exists")
    #expect(FileManager.default.contents(atPath: root + "/incidents/2026/taken.yaml") == Data("kept\n".utf8))

    creation.undo()
    let fm = FileManager.default
    #expect(!fm.fileExists(atPath: root + "/incidents/2026/INC-A"))
    #expect(!fm.fileExists(atPath: root + "/incidents/2027"))
    #expect(fm.contents(atPath: root + "/incidents/2026/taken.yaml") == Data("kept\n".utf8))
    #expect(try fm.contentsOfDirectory(atPath: root + "/incidents/2026").sorted() == ["INC-OLD", "taken.yaml"])
    creation.undo()  // a second undo does nothing
    #expect(try fm.contentsOfDirectory(atPath: root + "/incidents").sorted() == ["2026"])
  }
}

/// Where a long series is cut into parts that are packed while the next is written.
@Suite("Pack parts of a series")
struct PackPartsTests {
  @Test("up to four parts of at least 128 commits, cut at count·√(k/n)")
  func boundaries() {
    #expect(IncidentStore.packParts(70).isEmpty)
    #expect(IncidentStore.packParts(255).isEmpty)
    #expect(IncidentStore.packParts(256) == [181])
    #expect(IncidentStore.packParts(1000) == [500, 707, 866])
    #expect(IncidentStore.packParts(100_000) == [50_000, 70_711, 86_603])
  }
}
