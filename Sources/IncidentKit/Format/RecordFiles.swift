import Foundation

extension IncidentRecord {
  /// The record's files exactly as the tool commits them: `incident.yaml` and `timeline.yaml`
  /// in canonical form (DESIGN section 3), as (repository-relative path, bytes). For programs
  /// that write records without the CLI, such as the benchmark's repository generator.
  public var canonicalFiles: [(path: String, data: Data)] {
    let id = incident.id
    return [
      (RecordPaths.incident(id), RecordCodec.encodeIncident(incident)),
      (RecordPaths.timeline(id), RecordCodec.encodeTimeline(timeline)),
    ]
  }
}
