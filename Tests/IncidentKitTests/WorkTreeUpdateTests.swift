import Foundation
import Git
import Testing

@testable import IncidentKit

/// What a change does with the work tree and the index after its branch moved, when another
/// command changed them while the commit was made: their change is kept, with a warning.
@Suite("Work tree and index after a commit")
struct WorkTreeUpdateTests {
  func git(_ args: [String], in dir: URL) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    p.arguments = args
    p.currentDirectoryURL = dir
    p.environment = ["HOME": dir.path, "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin"]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }

  @Test func editsAndStagingDoneMeanwhileAreKept() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wtu-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let env = ["HOME": dir.path, "GIT_CONFIG_NOSYSTEM": "1"]
    let (store, _) = try IncidentStore.initialize(
      at: dir.path, prefix: nil, as: "Ana Lima <ana@example.com>", environment: env)
    let id = try #require(try store.declare(Declaration(title: "Busy", severity: "SEV3"), as: "Ana Lima <ana@example.com>").incident)
    let tree = try #require(try store.headTree())
    let timeline = RecordPaths.timeline(id)
    let incident = RecordPaths.incident(id)
    let previous = [
      timeline: try #require(tree.entry(atPath: timeline)?.id),
      incident: try #require(tree.entry(atPath: incident)?.id),
    ]
    // Meanwhile: the timeline edited in the work tree; incident.yaml edited and staged.
    let timelineEdit = Data("# edited by hand meanwhile\n".utf8)
    try timelineEdit.write(to: dir.appendingPathComponent(timeline))
    let incidentEdit = try Data(contentsOf: dir.appendingPathComponent(incident)) + Data("# staged meanwhile\n".utf8)
    try incidentEdit.write(to: dir.appendingPathComponent(incident))
    _ = try git(["add", incident], in: dir)
    let stagedEdit = ObjectID.blob(hashing: incidentEdit)

    let newTimeline = Data("events: []\n".utf8)
    let newIncident = Data("id: \(id.rawValue)\n".utf8)
    let writer = IncidentStore(repository: try Repository.open(at: dir.path), environment: env)
    // The commit wrote these blobs before the branch moved.
    _ = try writer.repository.createBlob(newTimeline)
    _ = try writer.repository.createBlob(newIncident)
    let warnings = writer.updateWorkTree(
      [(timeline, newTimeline), (incident, newIncident)], previous: previous)

    #expect(try Data(contentsOf: dir.appendingPathComponent(timeline)) == timelineEdit)
    #expect(try Data(contentsOf: dir.appendingPathComponent(incident)) == incidentEdit)
    let stage = try git(["ls-files", "--stage", timeline, incident], in: dir)
    #expect(stage.contains("\(ObjectID.blob(hashing: newTimeline).hex) 0\t\(timeline)"), "\(stage)")
    #expect(stage.contains("\(stagedEdit.hex) 0\t\(incident)"), "\(stage)")
    #expect(warnings.count == 3, "\(warnings)")
    #expect(warnings.contains { $0.contains("\(timeline) was changed in the work tree while the commit was made") })
    #expect(warnings.contains { $0.contains("\(incident) was changed in the work tree while the commit was made") })
    #expect(warnings.contains { $0.contains("\(incident) was staged by another command while the commit was made") })
  }

  @Test func withNothingChangedMeanwhileTheFilesAndEntriesAreReplaced() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wtu-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let env = ["HOME": dir.path, "GIT_CONFIG_NOSYSTEM": "1"]
    let (store, _) = try IncidentStore.initialize(
      at: dir.path, prefix: nil, as: "Ana Lima <ana@example.com>", environment: env)
    let id = try #require(try store.declare(Declaration(title: "Quiet", severity: "SEV3"), as: "Ana Lima <ana@example.com>").incident)
    let timeline = RecordPaths.timeline(id)
    let previous = [timeline: try #require(try store.headTree()?.entry(atPath: timeline)?.id)]
    let newTimeline = Data("events: []\n".utf8)
    let writer = IncidentStore(repository: try Repository.open(at: dir.path), environment: env)
    _ = try writer.repository.createBlob(newTimeline)
    #expect(writer.updateWorkTree([(timeline, newTimeline)], previous: previous).isEmpty)
    #expect(try Data(contentsOf: dir.appendingPathComponent(timeline)) == newTimeline)
    #expect(try git(["ls-files", "--stage", timeline], in: dir).contains(ObjectID.blob(hashing: newTimeline).hex))
  }
}
